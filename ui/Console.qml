// The teacher console: for the local assisting teacher, on the laptop or small screen beside the projector.
// Plain words, big buttons, one glance: what is on the display, who wants to speak, how answers are going,
// and anything that needs attention. Presenter clickers work everywhere: PgDn next, PgUp back, B pause.
import QtQuick
import QtQuick.Window
import QtQuick.Layouts
import QtQuick.Controls.Basic
import DualTeacher 1.0
import "components"

Window {
    id: win
    objectName: "teacherConsole"
    title: qsTr("Teacher console")
    width: 1366
    height: 768
    minimumWidth: 1024
    minimumHeight: 640
    color: "#eef2f6"
    visible: false

    readonly property bool running: console.status === "running" || console.status === "paused"
    readonly property bool live: console.onAir === "live"
    readonly property bool lessonControls: running && console.onAir === "lesson"

    // Closing the console while a class is on asks first; the class ends only when the teacher says so.
    onClosing: function (close) {
        if (console.askBeforeClosing()) {
            close.accepted = false
            closeDialog.open()
        } else {
            console.closeConsole()
        }
    }

    function kindName(kind) {
        switch (kind) {
        case "video": return qsTr("Video")
        case "slide": return qsTr("Slide")
        case "question": return qsTr("Question")
        case "hand_poll": return qsTr("Hand poll")
        case "timer": return qsTr("Activity")
        case "end": return qsTr("End")
        }
        return kind
    }
    function alertText(a) {
        switch (a.kind) {
        case "stream_lost": return qsTr("The live stream stopped. The AI lesson carries on; trying to reconnect.")
        case "fallback": return a.node !== "" ? qsTr("The AI lesson is on the display, from \"%1\".").arg(a.node)
                                              : qsTr("The AI lesson is on the display.")
        case "live_back": return qsTr("The live stream is back. Press \"Back to live\" when it suits you.")
        case "camera_lost": return qsTr("The camera stopped. The lesson goes on without hand counts.")
        case "analytics_paused": return qsTr("Camera and microphone analytics are paused.")
        case "display_closed": return qsTr("The classroom display was closed. The lesson goes on.")
        case "disk_full": return qsTr("Recording paused: the disk is full. The lesson goes on and events wait in memory; free space on %1.").arg(a.where)
        case "disk_low": return qsTr("The disk is almost full. Recording goes on; free space on %1 after the class.").arg(a.where)
        case "stage": return qsTr("%1: %2").arg(a.stage).arg(a.message)
        case "lead": return win.leadText(a)
        case "lead_link": return qsTr("The link to the lead teacher is down (%1). The class goes on.").arg(a.reason)
        }
        return a.kind
    }
    function leadText(a) {
        var off = a.accepted ? "" : " " + qsTr("(remote control is off: nothing was done)")
        switch (a.command) {
        case "call_on_seat": return qsTr("The lead teacher called on a raised hand (%1).").arg(a.detail) + off
        case "hand_poll": return qsTr("The lead teacher asks for a hand poll: %1").arg(a.detail) + off
        case "question": return qsTr("The lead teacher asks: %1").arg(a.detail) + off
        case "switch_source": return (a.detail === "live" ? qsTr("The lead teacher switched to the live stream.")
                                                          : qsTr("The lead teacher switched to the AI lesson.")) + off
        case "pause": return qsTr("The lead teacher paused the lesson.") + off
        case "resume": return qsTr("The lead teacher resumed the lesson.") + off
        case "note": return qsTr("Note from the lead teacher: %1").arg(a.detail)
        }
        return a.command
    }
    function stageName(stage) {
        switch (stage) {
        case "display": return qsTr("Display")
        case "live stream": return qsTr("Live stream")
        case "lesson": return qsTr("Lesson")
        case "event store": return qsTr("Saving")
        case "simulated-class": return qsTr("Simulated class")
        case "lead link": return qsTr("Lead teacher link")
        }
        return stage
    }
    function healthDetail(row) {
        if (row.stage === "live stream") {
            switch (row.detail) {
            case "up": return qsTr("playing")
            case "connecting": return qsTr("connecting")
            case "waiting": return qsTr("waiting to try again")
            case "stopped": return qsTr("stopped")
            }
        }
        if (row.stage === "display" && row.detail === "closed") return qsTr("window closed")
        if (row.stage === "display" && row.detail === "slow") return qsTr("video too slow")
        if (row.provider === "simulated") return qsTr("simulated")
        return row.detail
    }
    function statusText() {
        if (console.status === "ready") return qsTr("Ready to start")
        if (console.status === "ended") return qsTr("Class ended")
        if (console.onAir === "starting") return qsTr("Connecting to the live teacher…")
        if (console.onAir === "live") return qsTr("The live teacher is leading")
        if (console.status === "paused") return qsTr("Paused")
        return qsTr("Running")
    }
    function sourceText() {
        if (console.onAir === "live") return qsTr("Live teacher")
        if (console.onAir === "starting") return qsTr("Connecting…")
        return qsTr("AI lesson")
    }

    // ---- presenter clicker and keyboard (work in both windows) --------------------------------------------------------
    Shortcut { sequences: ["PgDown", "Right"]; context: Qt.ApplicationShortcut; onActivated: console.next() }
    Shortcut { sequences: ["PgUp", "Left"]; context: Qt.ApplicationShortcut; onActivated: console.back() }
    Shortcut { sequences: ["B", "Space", "."]; context: Qt.ApplicationShortcut; onActivated: console.togglePause() }
    Shortcut { sequence: "R"; context: Qt.ApplicationShortcut; onActivated: console.replay() }
    Shortcut { sequence: "S"; context: Qt.ApplicationShortcut; onActivated: console.skipQuestion() }
    Shortcut { sequence: "E"; context: Qt.ApplicationShortcut; onActivated: console.extendTimer() }
    Shortcut { sequence: "H"; context: Qt.ApplicationShortcut; onActivated: console.callFirstHand() }
    Shortcut { sequence: "L"; context: Qt.ApplicationShortcut
               onActivated: console.onAir === "live" ? console.goLesson() : console.goLive() }
    Shortcut { sequence: "C"; context: Qt.ApplicationShortcut; onActivated: console.toggleCaptions() }
    Shortcut { sequence: "F11"; context: Qt.ApplicationShortcut; onActivated: console.toggleFullScreen() }
    Shortcut { sequence: "Ctrl+Q"; context: Qt.ApplicationShortcut; onActivated: console.endClass() }

    // ---- header --------------------------------------------------------------------------------------------------------
    Rectangle {
        id: header
        anchors { left: parent.left; right: parent.right; top: parent.top }
        height: 64
        color: "#16365c"
        RowLayout {
            anchors { fill: parent; leftMargin: 18; rightMargin: 18 }
            spacing: 14
            Text {
                text: console.lessonTitle
                color: "#ffffff"
                font.pixelSize: 22
                font.weight: Font.Bold
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Pill {
                objectName: "sourcePill"
                text: win.sourceText()
                fontSize: 16
                dot: console.onAir === "live" ? "#ef4444" : console.onAir === "starting" ? "#f59e0b" : "#4cc9f0"
                color: "#33ffffff"
            }
            Pill {
                text: win.statusText()
                fontSize: 16
                color: "#33ffffff"
            }
            Text {
                text: console.elapsed
                color: "#ffffff"
                font.pixelSize: 22
                font.family: "DejaVu Sans Mono"
            }
            Pill {
                objectName: "analyticsPill"
                visible: console.analyticsKind !== ""  // nothing runs: nothing to say
                text: {
                    if (!console.analyticsOn) return qsTr("Analytics paused")
                    switch (console.analyticsKind) {
                    case "simulated": return qsTr("Simulated class")
                    case "camera": return qsTr("Camera on")
                    case "microphone": return qsTr("Microphone on")
                    case "camera_microphone": return qsTr("Camera and microphone on")
                    }
                    return qsTr("Analytics on")
                }
                dot: console.analyticsOn ? "#ef4444" : "#9aa5b1"
                fontSize: 15
                color: "#33ffffff"
            }
        }
    }

    RowLayout {
        anchors { left: parent.left; right: parent.right; top: header.bottom; bottom: parent.bottom; margins: 12 }
        spacing: 12

        // ---- left: the lesson timeline ----------------------------------------------------------------------------
        Panel {
            title: qsTr("Lesson")
            Layout.preferredWidth: 290
            Layout.fillHeight: true
            ListView {
                id: timelineView
                objectName: "timeline"
                anchors.fill: parent
                clip: true
                spacing: 4
                model: console.timeline
                delegate: Rectangle {
                    width: timelineView.width
                    height: 52
                    radius: 8
                    color: modelData.state === "current" ? (win.live ? "#fde8e8" : "#dbeafe") : "transparent"
                    border.color: modelData.state === "current" ? (win.live ? "#ef4444" : "#1f6feb") : "transparent"
                    opacity: modelData.state === "done" ? 0.55 : 1
                    RowLayout {
                        anchors { fill: parent; leftMargin: modelData.detour ? 22 : 10; rightMargin: 10 }
                        spacing: 8
                        Text {
                            text: modelData.start
                            font.pixelSize: 13
                            font.family: "DejaVu Sans Mono"
                            color: "#5b6b7f"
                            Layout.preferredWidth: 40
                        }
                        Column {
                            Layout.fillWidth: true
                            Text {
                                width: parent.width
                                text: modelData.title !== "" ? modelData.title : win.kindName(modelData.kind)
                                font.pixelSize: 15
                                font.weight: modelData.state === "current" ? Font.Bold : Font.Normal
                                color: "#1d2b3a"
                                elide: Text.ElideRight
                            }
                            Text {
                                text: win.kindName(modelData.kind) + (modelData.detour ? " · " + qsTr("if needed") : "")
                                font.pixelSize: 12
                                color: "#5b6b7f"
                            }
                        }
                    }
                }
            }
        }

        // ---- middle: what is happening, the controls, answers and the room -----------------------------------------
        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 12

            Panel {
                title: qsTr("Now")
                note: console.secondsLeft >= 0 ? qsTr("%1 s left").arg(console.secondsLeft) : ""
                Layout.fillWidth: true
                Layout.preferredHeight: Math.max(206, nowColumn.implicitHeight + 56)  // wrapped buttons stay inside
                ColumnLayout {
                    id: nowColumn
                    anchors.fill: parent
                    spacing: 10
                    Text {
                        objectName: "nowTitle"
                        Layout.fillWidth: true
                        text: console.status === "ended" || console.nodeTitle === "" ? win.statusText()
                              : win.live ? qsTr("Live teacher · in the plan: %1").arg(console.nodeTitle)
                              : console.nodeTitle
                        font.pixelSize: 20
                        font.weight: Font.Bold
                        color: "#1d2b3a"
                        elide: Text.ElideRight
                    }
                    // The end of the class: the report and the next lesson (the windows stay open).
                    ColumnLayout {
                        objectName: "endPanel"
                        Layout.fillWidth: true
                        visible: console.status === "ended"
                        spacing: 8
                        Text {
                            Layout.fillWidth: true
                            wrapMode: Text.WordWrap
                            font.pixelSize: 15
                            color: "#374151"
                            text: console.reportPath !== ""
                                  ? qsTr("The display shows the class summary until you close it. The report is ready.")
                                  : qsTr("The display shows the class summary until you close it.")
                        }
                        Flow {
                            Layout.fillWidth: true
                            spacing: 8
                            ConsoleButton {
                                objectName: "openReportButton"
                                tone: "primary"
                                enabled: console.reportPath !== ""
                                text: qsTr("Open the report")
                                onClicked: console.openReport()
                            }
                            ConsoleButton {
                                objectName: "nextLessonButton"
                                text: qsTr("Start the next lesson")
                                onClicked: console.nextLesson()
                            }
                            ConsoleButton {
                                text: qsTr("Close")
                                tone: "quiet"
                                onClicked: console.closeConsole()
                            }
                        }
                    }
                    Flow {
                        Layout.fillWidth: true
                        visible: console.status !== "ended"
                        spacing: 8
                        ConsoleButton {
                            objectName: "startButton"
                            visible: console.status === "ready"
                            tone: "primary"
                            text: qsTr("Start the class")
                            onClicked: console.start()
                        }
                        ConsoleButton {
                            objectName: "pauseButton"
                            visible: console.status !== "ready"
                            enabled: win.lessonControls
                            tone: console.status === "paused" ? "primary" : "normal"
                            text: console.status === "paused" && !win.live ? qsTr("Resume") : qsTr("Pause")
                            hint: qsTr("B or Space")
                            onClicked: console.togglePause()
                        }
                        ConsoleButton { text: qsTr("Back"); enabled: win.lessonControls; hint: qsTr("PgUp"); onClicked: console.back() }
                        ConsoleButton { text: qsTr("Next"); enabled: win.lessonControls; hint: qsTr("PgDn"); onClicked: console.next() }
                        ConsoleButton { text: qsTr("Replay"); enabled: win.lessonControls; hint: "R"; onClicked: console.replay() }
                        ConsoleButton {
                            text: qsTr("Skip question")
                            enabled: win.lessonControls && (console.nodeKind === "question" || console.nodeKind === "hand_poll")
                            hint: "S"
                            onClicked: console.skipQuestion()
                        }
                        ConsoleButton {
                            text: qsTr("+15 s")
                            enabled: win.lessonControls && console.secondsLeft >= 0
                            hint: "E"
                            onClicked: console.extendTimer()
                        }
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        spacing: 8
                        visible: console.liveConfigured && console.status !== "ended"
                        ConsoleButton {
                            objectName: "sourceButton"
                            tone: console.onAir === "lesson" && console.liveAvailable ? "primary" : "normal"
                            enabled: win.running && (console.onAir === "live" || console.liveAvailable)
                            text: console.onAir === "live" ? qsTr("Switch to AI lesson") : qsTr("Back to live")
                            hint: "L"
                            onClicked: console.onAir === "live" ? console.goLesson() : console.goLive()
                        }
                        Text {
                            Layout.fillWidth: true
                            wrapMode: Text.WordWrap
                            font.pixelSize: 15
                            color: "#5b6b7f"
                            text: {
                                if (console.onAir === "live") return qsTr("Live stream: playing.")
                                if (console.liveAvailable) return qsTr("The live stream is back.")
                                if (console.liveState === "waiting" && console.retryIn >= 0)
                                    return qsTr("Live stream: not reachable, next try in %1 s.").arg(console.retryIn)
                                if (console.liveState === "connecting") return qsTr("Live stream: connecting…")
                                return ""
                            }
                        }
                    }
                }
            }

            RowLayout {
                Layout.fillWidth: true
                Layout.fillHeight: true
                spacing: 12

                Panel {
                    title: qsTr("Answers")
                    note: console.question.responses !== undefined ? qsTr("%n answer(s)", "", console.question.responses) : ""
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredWidth: 1
                    ColumnLayout {
                        anchors.fill: parent
                        spacing: 8
                        Text {
                            Layout.fillWidth: true
                            visible: console.question.prompt !== undefined
                            text: console.question.prompt !== undefined ? console.question.prompt : ""
                            font.pixelSize: 17
                            font.weight: Font.DemiBold
                            color: "#1d2b3a"
                            wrapMode: Text.WordWrap
                        }
                        Repeater {
                            model: console.question.rows !== undefined ? console.question.rows : []
                            RowLayout {
                                Layout.fillWidth: true
                                spacing: 8
                                Text {
                                    text: (modelData.correct ? "✓ " : "   ") + modelData.key + (modelData.text !== modelData.key ? "  " + modelData.text : "")
                                    font.pixelSize: 16
                                    color: modelData.correct ? "#15803d" : "#1d2b3a"
                                    Layout.preferredWidth: 120
                                    elide: Text.ElideRight
                                }
                                Rectangle {
                                    Layout.fillWidth: true
                                    height: 18; radius: 9
                                    color: "#eef1f4"
                                    Rectangle {
                                        height: parent.height; radius: 9
                                        width: console.question.responses > 0 ? parent.width * modelData.count / console.question.responses : 0
                                        color: modelData.correct ? "#2a9d8f" : "#93a4b8"
                                    }
                                }
                                Text { text: modelData.count; font.pixelSize: 16; Layout.preferredWidth: 28; horizontalAlignment: Text.AlignRight }
                                ConsoleButton { text: "−"; implicitWidth: 44; implicitHeight: 36; tone: "quiet"
                                                enabled: console.question.open === true && modelData.count > 0
                                                onClicked: console.removeAnswer(modelData.key) }
                                ConsoleButton { text: "+"; implicitWidth: 44; implicitHeight: 36; tone: "quiet"
                                                enabled: console.question.open === true
                                                onClicked: console.addAnswer(modelData.key) }
                            }
                        }
                        RowLayout {
                            Layout.fillWidth: true
                            visible: console.question.qtype === "numeric" || console.question.qtype === "short_answer"
                            spacing: 8
                            TextField {
                                id: answerField
                                Layout.fillWidth: true
                                font.pixelSize: 16
                                placeholderText: qsTr("Type an answer you heard")
                                enabled: console.question.open === true
                                onAccepted: { console.enterAnswer(text); text = "" }
                            }
                            ConsoleButton {
                                text: qsTr("Add")
                                enabled: console.question.open === true && answerField.text !== ""
                                onClicked: { console.enterAnswer(answerField.text); answerField.text = "" }
                            }
                        }
                        Text {
                            visible: console.question.id === undefined
                            Layout.fillWidth: true
                            text: qsTr("No question right now.")
                            font.pixelSize: 15
                            color: "#5b6b7f"
                        }
                        Text {
                            visible: console.results.length > 0
                            text: qsTr("Earlier")
                            font.pixelSize: 13
                            font.weight: Font.Bold
                            color: "#5b6b7f"
                            Layout.topMargin: 4
                        }
                        Repeater {
                            model: console.results
                            Text {
                                Layout.fillWidth: true
                                font.pixelSize: 14
                                color: "#1d2b3a"
                                elide: Text.ElideRight
                                text: modelData.correct >= 0
                                      ? qsTr("%1: %2 correct of %3").arg(modelData.title).arg(modelData.correct).arg(modelData.responses)
                                      : qsTr("%1: %2 hands").arg(modelData.title).arg(modelData.responses)
                            }
                        }
                        Item { Layout.fillHeight: true }
                    }
                }

                Panel {
                    title: qsTr("The room")
                    note: console.headCount < 0 ? ""
                          : console.headCountApprox ? qsTr("about %n student(s) present", "", console.headCount)
                          : qsTr("%n student(s) present", "", console.headCount)
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredWidth: 1
                    ColumnLayout {
                        anchors.fill: parent
                        spacing: 8
                        RowLayout {
                            Layout.fillWidth: true
                            Text {
                                Layout.fillWidth: true
                                objectName: "handsUpText"
                                text: console.handsUp > 0 ? qsTr("%n hand(s) up", "", console.handsUp) : qsTr("No hands up")
                                elide: Text.ElideRight
                                font.pixelSize: 16
                                font.weight: Font.DemiBold
                                color: "#1d2b3a"
                            }
                            ConsoleButton {
                                objectName: "callHandButton"
                                text: qsTr("Call on first hand")
                                hint: "H"
                                tone: console.hands.length > 0 ? "primary" : "normal"
                                enabled: console.hands.length > 0 && console.status !== "ended"
                                onClicked: console.callFirstHand()
                            }
                        }
                        SeatMap {
                            objectName: "seatMap"
                            hands: console.hands
                            Layout.fillWidth: true
                            Layout.fillHeight: true
                            Layout.minimumHeight: 120
                        }
                        RowLayout {
                            Layout.fillWidth: true
                            spacing: 10
                            Column {
                                Text {
                                    text: qsTr("Attention")
                                    font.pixelSize: 13
                                    font.weight: Font.Bold
                                    color: "#5b6b7f"
                                }
                                Text {
                                    text: console.attention >= 0 ? Math.round(console.attention * 100) + "%" : "–"
                                    font.pixelSize: 26
                                    font.weight: Font.Bold
                                    color: "#1d2b3a"
                                }
                            }
                            Sparkline {
                                Layout.fillWidth: true
                                Layout.preferredHeight: 54
                                values: console.attentionHistory
                            }
                        }
                        Text {
                            Layout.fillWidth: true
                            visible: console.talk.teacher !== undefined || console.talk.room !== undefined
                            text: qsTr("Talk in the last minute: teacher %1 s, class %2 s")
                                  .arg(Math.round(console.talk.teacher || 0)).arg(Math.round(console.talk.room || 0))
                            font.pixelSize: 13
                            color: "#5b6b7f"
                            elide: Text.ElideRight
                        }
                    }
                }
            }
        }

        // ---- right: alerts, captions, stage health ---------------------------------------------------------------------
        ColumnLayout {
            Layout.preferredWidth: 330
            Layout.maximumWidth: 330
            Layout.fillWidth: false
            Layout.fillHeight: true
            spacing: 12

            Panel {
                title: qsTr("Alerts")
                Layout.fillWidth: true
                Layout.preferredHeight: Math.max(96, Math.min(250, alertColumn.implicitHeight + 48))
                Column {
                    id: alertColumn
                    objectName: "alerts"
                    width: parent.width
                    spacing: 6
                    Text {
                        visible: console.alerts.length === 0
                        text: qsTr("All is well.")
                        font.pixelSize: 15
                        color: "#15803d"
                    }
                    Repeater {
                        model: console.alerts
                        Rectangle {
                            width: alertColumn.width
                            height: alertBody.implicitHeight + 16
                            radius: 8
                            color: modelData.severity === "error" ? "#fee2e2" : modelData.severity === "warning" ? "#fef3c7" : "#e0f2fe"
                            Column {
                                id: alertBody
                                anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: 10 }
                                spacing: 6
                                Text {
                                    id: alertLabel
                                    width: parent.width
                                    text: (modelData.time !== "" ? modelData.time + "  " : "") + win.alertText(modelData)
                                    font.pixelSize: 14
                                    color: "#1d2b3a"
                                    wrapMode: Text.WordWrap
                                    maximumLineCount: 3
                                    elide: Text.ElideRight
                                }
                                ConsoleButton {
                                    objectName: "showDisplayButton"
                                    visible: modelData.kind === "display_closed"
                                    text: qsTr("Show the classroom display")
                                    tone: "primary"
                                    onClicked: console.showDisplay()
                                }
                            }
                        }
                    }
                }
            }

            Panel {
                title: qsTr("Captions")
                note: console.captionsOn ? qsTr("on the display") : qsTr("hidden")
                Layout.fillWidth: true
                Layout.fillHeight: true
                ColumnLayout {
                    anchors.fill: parent
                    ListView {
                        id: transcriptView
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        clip: true
                        model: console.transcript
                        onCountChanged: positionViewAtEnd()
                        delegate: Text {
                            width: transcriptView.width
                            text: modelData
                            font.pixelSize: 14
                            color: "#1d2b3a"
                            wrapMode: Text.WordWrap
                        }
                        footer: Text {
                            width: transcriptView.width
                            text: console.partial
                            font.pixelSize: 14
                            font.italic: true
                            color: "#5b6b7f"
                            wrapMode: Text.WordWrap
                        }
                    }
                    Text {
                        visible: console.transcript.length === 0 && console.partial === ""
                        text: qsTr("Captions appear here when speech is recognised.")
                        font.pixelSize: 13
                        color: "#5b6b7f"
                        wrapMode: Text.WordWrap
                        Layout.fillWidth: true
                    }
                }
            }

            Panel {
                title: qsTr("System")
                Layout.fillWidth: true
                Layout.preferredHeight: healthColumn.implicitHeight + 50
                Column {
                    id: healthColumn
                    objectName: "health"
                    width: parent.width
                    spacing: 3
                    Repeater {
                        model: console.health
                        RowLayout {
                            width: healthColumn.width
                            spacing: 6
                            Rectangle {
                                width: 10; height: 10; radius: 5
                                color: modelData.state === "ok" ? "#22c55e" : modelData.state === "degraded" ? "#f59e0b"
                                     : modelData.state === "failed" ? "#ef4444" : "#9aa5b1"
                            }
                            Text { text: win.stageName(modelData.stage); font.pixelSize: 13; color: "#1d2b3a"; Layout.preferredWidth: 110; elide: Text.ElideRight }
                            Text {
                                Layout.fillWidth: true
                                font.pixelSize: 12
                                color: "#5b6b7f"
                                elide: Text.ElideRight
                                text: [modelData.provider === "simulated" ? "" : modelData.provider,
                                       modelData.fps >= 0 ? qsTr("%1 fps").arg(modelData.fps) : "",
                                       modelData.dropped > 0 ? qsTr("%1 dropped").arg(modelData.dropped) : "",
                                       modelData.level >= 0 ? qsTr("mic %1%").arg(Math.round(modelData.level * 100)) : "",
                                       win.healthDetail(modelData)].filter(function (s) { return s !== "" }).join(" · ")
                            }
                        }
                    }
                }
            }

            Flow {
                Layout.fillWidth: true
                spacing: 8
                ConsoleButton {
                    text: console.analyticsOn ? qsTr("Pause analytics") : qsTr("Resume analytics")
                    tone: console.analyticsOn ? "normal" : "primary"
                    onClicked: console.toggleAnalytics()
                }
                ConsoleButton {
                    objectName: "remoteControlButton"
                    visible: console.leadLinked
                    text: console.remoteControl ? qsTr("Turn remote control off") : qsTr("Allow remote control")
                    tone: console.remoteControl ? "normal" : "primary"
                    onClicked: console.toggleRemoteControl()
                }
                ConsoleButton {
                    text: console.captionsOn ? qsTr("Hide captions") : qsTr("Show captions")
                    hint: "C"
                    onClicked: console.toggleCaptions()
                }
                ConsoleButton {
                    objectName: "cameraButton"
                    text: qsTr("Camera set-up")
                    onClicked: camera.toggle()
                }
                ConsoleButton {
                    text: qsTr("End class")
                    tone: "warn"
                    enabled: console.status !== "ended" && console.status !== "ready"
                    onClicked: endDialog.open()
                }
            }
        }
    }

    // ---- ending the class asks first (a click by mistake must not end a lesson) ---------------------------------------
    Popup {
        id: endDialog
        modal: true
        anchors.centerIn: parent
        width: 420
        padding: 22
        background: Rectangle { radius: 12; color: "#ffffff"; border.color: "#dfe4ea" }
        ColumnLayout {
            width: parent.width
            spacing: 16
            Text {
                Layout.fillWidth: true
                text: qsTr("End the class now? The display shows the class summary.")
                font.pixelSize: 18
                wrapMode: Text.WordWrap
                color: "#1d2b3a"
            }
            RowLayout {
                Layout.alignment: Qt.AlignRight
                ConsoleButton { text: qsTr("Keep teaching"); onClicked: endDialog.close() }
                ConsoleButton { text: qsTr("End class"); tone: "warn"; onClicked: { endDialog.close(); console.endClass() } }
            }
        }
    }

    // ---- closing the console while the class is on ------------------------------------------------------------------------
    Popup {
        id: closeDialog
        objectName: "closeDialog"
        modal: true
        anchors.centerIn: parent
        width: 460
        padding: 22
        background: Rectangle { radius: 12; color: "#ffffff"; border.color: "#dfe4ea" }
        ColumnLayout {
            width: parent.width
            spacing: 16
            Text {
                Layout.fillWidth: true
                text: qsTr("Close the console and end the class? Everything recorded so far is kept.")
                font.pixelSize: 18
                wrapMode: Text.WordWrap
                color: "#1d2b3a"
            }
            RowLayout {
                Layout.alignment: Qt.AlignRight
                ConsoleButton { text: qsTr("Keep teaching"); onClicked: closeDialog.close() }
                ConsoleButton {
                    text: qsTr("End class and close")
                    tone: "warn"
                    onClicked: { closeDialog.close(); console.endClassAndClose() }
                }
            }
        }
    }

    // ---- camera set-up (opt-in; only ever on this console) -----------------------------------------------------------------
    Rectangle {
        id: cameraView
        objectName: "cameraSetup"
        anchors.fill: parent
        visible: camera.open
        color: "#cc0f2540"
        MouseArea { anchors.fill: parent }
        Rectangle {
            anchors.centerIn: parent
            width: Math.min(parent.width - 80, 980)
            height: Math.min(parent.height - 80, 640)
            radius: 14
            color: "#ffffff"
            ColumnLayout {
                anchors { fill: parent; margins: 20 }
                spacing: 12
                RowLayout {
                    Layout.fillWidth: true
                    Text {
                        Layout.fillWidth: true
                        text: qsTr("Camera set-up")
                        font.pixelSize: 22
                        font.weight: Font.Bold
                        color: "#1d2b3a"
                    }
                    ConsoleButton { text: qsTr("Done"); tone: "primary"; onClicked: camera.hide() }
                }
                Text {
                    Layout.fillWidth: true
                    wrapMode: Text.WordWrap
                    font.pixelSize: 16
                    color: "#374151"
                    text: qsTr("Place the camera at the front of the room, above the display, so that every desk is in view. Only you see this picture; it is not recorded and never shown to the class.")
                }
                Rectangle {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    radius: 10
                    color: "#0f172a"
                    LatestFrame {
                        objectName: "cameraPreview"
                        anchors.fill: parent
                        anchors.margins: 4
                        visible: camera.state === "preview"
                        provider: camera.provider
                        sink: camera.sink
                        fps: camera.open ? 10 : 0
                    }
                    Column {
                        anchors.centerIn: parent
                        spacing: 14
                        visible: camera.state !== "preview"
                        width: parent.width * 0.7
                        Image {
                            source: "icons/camera.svg"
                            sourceSize.width: 88; sourceSize.height: 88
                            anchors.horizontalCenter: parent.horizontalCenter
                        }
                        Text {
                            objectName: "cameraMessage"
                            width: parent.width
                            horizontalAlignment: Text.AlignHCenter
                            wrapMode: Text.WordWrap
                            font.pixelSize: 20
                            color: "#e5e7eb"
                            text: camera.state === "failed" ? qsTr("The camera could not start. Check its cable, then open this view again.")
                                                            : qsTr("No camera found. Connect a USB camera, then open this view again. The lesson works without one.")
                        }
                    }
                }
            }
        }
    }
}
