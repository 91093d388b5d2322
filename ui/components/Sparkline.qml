import QtQuick

// Values in [0, 1] as a line over time, newest on the right.
Canvas {
    id: spark
    property var values: []
    property color lineColor: "#2a9d8f"
    antialiasing: true
    onValuesChanged: requestPaint()
    onWidthChanged: requestPaint()
    onPaint: {
        var ctx = getContext("2d")
        ctx.reset()
        ctx.strokeStyle = "#e3e8ee"
        ctx.lineWidth = 1
        for (var g = 0; g <= 4; g++) {
            var gy = Math.round(g * (height - 2) / 4) + 0.5
            ctx.beginPath(); ctx.moveTo(0, gy); ctx.lineTo(width, gy); ctx.stroke()
        }
        if (!values || values.length < 2) return
        var n = values.length
        ctx.strokeStyle = lineColor
        ctx.lineWidth = 2.5
        ctx.lineJoin = "round"
        ctx.beginPath()
        for (var i = 0; i < n; i++) {
            var x = i * (width - 2) / (n - 1) + 1
            var y = (1 - values[i]) * (height - 4) + 2
            if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y)
        }
        ctx.stroke()
    }
}
