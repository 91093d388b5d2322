import QtQuick
import QtQuick.Layouts

// A titled console panel.
Rectangle {
    id: panel
    property string title: ""
    property string note: ""
    default property alias content: body.data
    color: "#ffffff"
    radius: 10
    border.color: "#dfe4ea"
    implicitHeight: header.height + body.implicitHeight + 28
    Text {
        id: header
        x: 14; y: 10
        text: panel.title
        font.pixelSize: 15
        font.weight: Font.Bold
        font.capitalization: Font.AllUppercase
        font.letterSpacing: 0.6
        color: "#5b6b7f"
    }
    Text {
        anchors.right: parent.right; anchors.rightMargin: 14
        anchors.verticalCenter: header.verticalCenter
        text: panel.note
        font.pixelSize: 14
        color: "#5b6b7f"
    }
    Item {
        id: body
        anchors { left: parent.left; right: parent.right; top: header.bottom; bottom: parent.bottom }
        anchors.margins: 14
        anchors.topMargin: 8
        implicitHeight: childrenRect.height
    }
}
