import QtQuick

// A small rounded label with an optional coloured dot.
Rectangle {
    id: pill
    property alias text: label.text
    property color dot: "transparent"
    property color textColor: "#ffffff"
    property real fontSize: 16
    implicitWidth: row.implicitWidth + fontSize * 1.4
    implicitHeight: fontSize * 2.1
    radius: height / 2
    color: "#66000000"
    Row {
        id: row
        anchors.centerIn: parent
        spacing: pill.fontSize * 0.45
        Rectangle {
            visible: pill.dot != Qt.color("transparent")
            width: pill.fontSize * 0.7; height: width; radius: width / 2
            color: pill.dot
            anchors.verticalCenter: parent.verticalCenter
        }
        Text {
            id: label
            textFormat: Text.PlainText  // pills show segment titles from lesson packs: never markup
            color: pill.textColor
            font.pixelSize: pill.fontSize
            font.weight: Font.DemiBold
            anchors.verticalCenter: parent.verticalCenter
        }
    }
}
