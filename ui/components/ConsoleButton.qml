import QtQuick
import QtQuick.Controls.Basic

// A large, calm console button (touch friendly). `tone`: "normal", "primary", "warn", "quiet".
Button {
    id: b
    property string tone: "normal"
    property string hint: ""
    implicitHeight: 46
    implicitWidth: Math.max(96, contentItem.implicitWidth + 28)
    font.pixelSize: 16
    font.weight: Font.DemiBold
    hoverEnabled: true
    ToolTip.visible: hint !== "" && hovered
    ToolTip.text: hint
    ToolTip.delay: 600
    contentItem: Text {
        text: b.text
        font: b.font
        color: !b.enabled ? "#9aa5b1" : (b.tone === "primary" || b.tone === "warn") ? "#ffffff" : "#1d2b3a"
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
    }
    background: Rectangle {
        radius: 8
        color: {
            if (!b.enabled) return "#eef1f4"
            var base = b.tone === "primary" ? "#1f6feb" : b.tone === "warn" ? "#c2410c"
                     : b.tone === "quiet" ? "#f5f7f9" : "#e8eef6"
            return b.down ? Qt.darker(base, 1.15) : b.hovered ? Qt.lighter(base, 1.06) : base
        }
        border.color: b.activeFocus ? "#1f6feb" : "transparent"
        border.width: 2
    }
}
