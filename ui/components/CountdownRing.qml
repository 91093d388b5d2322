import QtQuick

// Seconds left as a big number inside a ring that empties as time runs out.
Item {
    id: ring
    property int seconds: -1
    property int total: 0
    property real size: 200
    property color accent: "#ffd166"
    property bool frozen: false
    width: size; height: size
    visible: seconds >= 0

    function label(s) {
        if (s >= 60) return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2)
        return "" + s
    }

    Canvas {
        id: canvas
        anchors.fill: parent
        antialiasing: true
        onPaint: {
            var ctx = getContext("2d")
            ctx.reset()
            var r = width / 2 - ring.size * 0.05
            ctx.lineWidth = ring.size * 0.07
            ctx.strokeStyle = "#33ffffff"
            ctx.beginPath(); ctx.arc(width / 2, height / 2, r, 0, 2 * Math.PI); ctx.stroke()
            var share = ring.total > 0 ? Math.max(0, Math.min(1, ring.seconds / ring.total)) : 1
            ctx.strokeStyle = ring.seconds <= 5 ? "#ff9f68" : ring.accent
            ctx.lineCap = "round"
            ctx.beginPath()
            ctx.arc(width / 2, height / 2, r, -Math.PI / 2, -Math.PI / 2 + share * 2 * Math.PI)
            ctx.stroke()
        }
    }
    onSecondsChanged: canvas.requestPaint()
    onTotalChanged: canvas.requestPaint()
    Text {
        anchors.centerIn: parent
        text: ring.label(Math.max(0, ring.seconds))
        color: "#ffffff"
        font.pixelSize: ring.seconds >= 60 ? ring.size * 0.3 : ring.size * 0.42
        font.weight: Font.Bold
        opacity: ring.frozen ? 0.6 : 1
    }
}
