import QtQuick

// The room as the assisting teacher sees it from the front (like the camera): back rows at the top, the front
// of the room at the bottom. Raised hands are numbered dots in queue order. Positions only: no faces, no names.
Rectangle {
    id: map
    property var hands: []
    color: "#f5f7f9"
    radius: 8
    border.color: "#dfe4ea"
    Grid {
        id: desks
        anchors { left: parent.left; right: parent.right; top: parent.top; bottom: front.top; margins: 12 }
        columns: 6
        rows: 4
        spacing: 8
        Repeater {
            model: desks.columns * desks.rows
            Rectangle {
                width: (desks.width - desks.spacing * (desks.columns - 1)) / desks.columns
                height: (desks.height - desks.spacing * (desks.rows - 1)) / desks.rows
                radius: 4
                color: "#e9edf2"
            }
        }
    }
    Rectangle {
        id: front
        anchors { bottom: parent.bottom; horizontalCenter: parent.horizontalCenter; bottomMargin: 6 }
        width: parent.width * 0.5; height: 20; radius: 4
        color: "#dfe4ea"
        Text {
            anchors.centerIn: parent
            text: qsTr("Front of the room")
            font.pixelSize: 12
            color: "#5b6b7f"
        }
    }
    Repeater {
        model: map.hands
        Rectangle {
            x: desks.x + modelData.x * desks.width - width / 2
            y: desks.y + (1 - modelData.y) * desks.height - height / 2
            width: 32; height: 32; radius: 16
            color: modelData.called ? "#2a9d8f" : modelData.order === 1 ? "#f59e0b" : "#1f6feb"
            border.color: "#ffffff"; border.width: 2
            Text {
                anchors.centerIn: parent
                text: modelData.order
                color: "#ffffff"
                font.pixelSize: 15
                font.weight: Font.Bold
            }
        }
    }
}
