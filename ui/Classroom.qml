// The classroom display: what the students see on the projector or TV. Large, calm, nothing technical.
// The lead teacher (AI lesson segments or the remote teacher's live stream), question cards with a countdown,
// the hand-poll count, the "I see your hand" cue, captions, the activity timer, the class summary, and an
// always-visible indicator while camera or microphone analytics run. Never an error: failures go to the console.
import QtQuick
import QtQuick.Window
import QtMultimedia
import DualTeacher 1.0
import "components"

Window {
    id: win
    objectName: "classroomDisplay"
    title: qsTr("Classroom display")
    width: 1280
    height: 720
    color: "#0f2540"
    visible: false

    // One design unit: sizes are given for a 1920 x 1080 screen and scale with the window.
    readonly property real u: Math.min(width / 1920, height / 1080)
    readonly property bool cardMode: ["question", "poll", "timer", "slide", "summary", "welcome"].indexOf(display.mode) >= 0
    readonly property bool showLive: display.onAir === "live" || display.handover
    readonly property int painterFps: display.framePainter ? 15 : 4
    // Reserved places: overlays never cover content. The top band holds the pills (segment title, paused, the
    // analytics indicator); the bottom band holds the captions and the "I see your hand" cue. Video and cards
    // live between them (tests/gui/test_overlays.py checks every node kind with every overlay).
    readonly property real topBand: 112 * u
    readonly property real bottomBand: 180 * u

    // Closing this window does not end the class: the console says so and can show it again.
    onClosing: function (close) { console.displayClosed() }

    // ---- the stage behind everything: never black --------------------------------------------------------------
    Rectangle {
        anchors.fill: parent
        gradient: Gradient {
            GradientStop { position: 0.0; color: "#16365c" }
            GradientStop { position: 1.0; color: "#0c1e35" }
        }
    }
    Text {
        anchors.centerIn: parent
        width: parent.width * 0.8
        visible: !win.cardMode
        text: display.lessonTitle
        textFormat: Text.PlainText  // lesson texts are never markup (an imported <img> must not load)
        color: "#2d4f78"
        font.pixelSize: 90 * win.u
        font.weight: Font.Bold
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.WordWrap
    }

    // ---- the AI lesson's video ---------------------------------------------------------------------------------
    Item {
        id: lessonLayer
        anchors.fill: parent
        visible: display.mode === "video"
        LatestFrame {
            id: lessonHeld
            objectName: "lessonFrame"
            anchors { fill: parent; topMargin: win.topBand; bottomMargin: win.bottomBand }
            sink: lessonVideo.videoSink
            holdOnly: !display.framePainter
            fps: lessonLayer.visible ? win.painterFps : 0
        }
        VideoOutput {
            id: lessonVideo
            objectName: "lessonVideo"
            anchors { fill: parent; topMargin: win.topBand; bottomMargin: win.bottomBand }
            fillMode: VideoOutput.PreserveAspectFit
            Component.onCompleted: display.attachLessonOutput(lessonVideo)
        }
    }

    // ---- the remote teacher's live stream (fades out when the AI lesson takes over) -----------------------------------
    Item {
        id: liveLayer
        anchors.fill: parent
        opacity: win.showLive ? 1 : 0
        visible: opacity > 0
        Behavior on opacity { NumberAnimation { duration: 450; easing.type: Easing.InOutQuad } }
        Rectangle { anchors.fill: parent; color: "#0c1e35" }
        LatestFrame {
            id: liveHeld
            objectName: "liveFrame"
            anchors { fill: parent; topMargin: win.topBand; bottomMargin: win.bottomBand }
            sink: liveVideo.videoSink
            holdOnly: !display.framePainter
            fps: liveLayer.visible ? win.painterFps : 0
        }
        VideoOutput {
            id: liveVideo
            objectName: "liveVideo"
            anchors { fill: parent; topMargin: win.topBand; bottomMargin: win.bottomBand }
            fillMode: VideoOutput.PreserveAspectFit
            Component.onCompleted: live.attachOutput(liveVideo)
        }
    }

    // ---- cards ---------------------------------------------------------------------------------------------------------
    Rectangle {
        id: cardLayer
        anchors.fill: parent
        visible: win.cardMode && (display.onAir !== "live" || display.mode === "summary")
        gradient: Gradient {
            GradientStop { position: 0.0; color: "#1b4170" }
            GradientStop { position: 1.0; color: "#0f2540" }
        }

        Item {
        id: cardArea
        objectName: "cardArea"
        anchors { fill: parent; topMargin: win.topBand; bottomMargin: win.bottomBand }

        // Welcome: while the live stream connects.
        Column {
            anchors.centerIn: parent
            objectName: "welcomeCard"
            width: parent.width * 0.8
            spacing: 40 * win.u
            visible: display.mode === "welcome"
            Text {
                width: parent.width
                text: display.lessonTitle
                textFormat: Text.PlainText  // lesson texts are never markup (an imported <img> must not load)
                color: "#ffffff"
                font.pixelSize: 110 * win.u
                font.weight: Font.Bold
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
            }
            Text {
                width: parent.width
                text: qsTr("The lesson is about to begin")
                color: "#a8dadc"
                font.pixelSize: 56 * win.u
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
            }
        }

        // Question: prompt, choices, countdown, answers so far; then the correct answer.
        Item {
            anchors.fill: parent
            visible: display.mode === "question"
            Text {
                id: prompt
                objectName: "questionPrompt"
                anchors { top: parent.top; topMargin: 10 * win.u; horizontalCenter: parent.horizontalCenter }
                width: parent.width * 0.86
                height: 230 * win.u  // two lines; a longer prompt shrinks to fit instead of pushing the choices down
                verticalAlignment: Text.AlignVCenter
                text: display.prompt
                textFormat: Text.PlainText  // lesson texts are never markup (an imported <img> must not load)
                color: "#ffffff"
                font.pixelSize: 96 * win.u
                font.weight: Font.Bold
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
                fontSizeMode: Text.Fit
                minimumPixelSize: 36 * win.u
            }
            Row {
                id: choiceRow
                objectName: "choiceRow"
                anchors { top: prompt.bottom; topMargin: 50 * win.u; horizontalCenter: parent.horizontalCenter }
                spacing: 48 * win.u
                Repeater {
                    model: display.choices
                    Rectangle {
                        readonly property bool isCorrect: display.correctKeys.indexOf(modelData.key) >= 0
                        width: Math.min(460 * win.u, (win.width * 0.86 - choiceRow.spacing * 3) / Math.max(1, display.choices.length))
                        height: 250 * win.u
                        radius: 28 * win.u
                        color: display.revealed ? (isCorrect ? "#2a9d8f" : "#24466f") : "#fdfcf7"
                        opacity: display.revealed && !isCorrect ? 0.55 : 1
                        Behavior on color { ColorAnimation { duration: 300 } }
                        Row {
                            id: choiceContent
                            anchors.centerIn: parent
                            spacing: 30 * win.u
                            Rectangle {
                                id: keyBadge
                                visible: display.qtype !== "true_false"
                                width: 120 * win.u; height: width; radius: width / 2
                                color: display.revealed ? "#ffffff" : "#1f4e86"
                                anchors.verticalCenter: parent.verticalCenter
                                Text {
                                    anchors.centerIn: parent
                                    text: modelData.key
                                    color: display.revealed ? "#1d2b3a" : "#ffffff"
                                    font.pixelSize: 72 * win.u
                                    font.weight: Font.Bold
                                }
                            }
                            Text {
                                // Long choices (imported content) wrap and shrink to stay inside their card.
                                width: Math.min(implicitWidth, parent.parent.width - 56 * win.u
                                                - (keyBadge.visible ? keyBadge.width + choiceContent.spacing : 0))
                                height: Math.min(implicitHeight, parent.parent.height - 36 * win.u)
                                text: modelData.text
                                textFormat: Text.PlainText  // lesson texts are never markup (an imported <img> must not load)
                                color: display.revealed ? "#ffffff" : "#1d2b3a"
                                font.pixelSize: (display.qtype === "true_false" ? 130 : 100) * win.u
                                font.weight: Font.Bold
                                wrapMode: Text.WordWrap
                                fontSizeMode: Text.Fit
                                minimumPixelSize: 28 * win.u
                                verticalAlignment: Text.AlignVCenter
                                anchors.verticalCenter: parent.verticalCenter
                            }
                        }
                    }
                }
            }
            Text {
                anchors { top: prompt.bottom; topMargin: 110 * win.u; horizontalCenter: parent.horizontalCenter }
                visible: display.choices.length === 0 && !display.revealed
                text: qsTr("Say your answer out loud!")
                color: "#a8dadc"
                font.pixelSize: 64 * win.u
            }
            Text {
                anchors { top: prompt.bottom; topMargin: 110 * win.u; horizontalCenter: parent.horizontalCenter }
                visible: display.choices.length === 0 && display.revealed
                text: qsTr("Answer: %1").arg(display.correctKeys.join(", "))
                color: "#ffffff"
                font.pixelSize: 96 * win.u
                font.weight: Font.Bold
            }
            Row {
                objectName: "questionFooter"
                anchors { bottom: parent.bottom; bottomMargin: 0; horizontalCenter: parent.horizontalCenter }
                spacing: 60 * win.u
                CountdownRing {
                    objectName: "questionCountdown"
                    size: 190 * win.u
                    seconds: display.secondsLeft
                    total: display.totalSeconds
                    frozen: display.paused
                    anchors.verticalCenter: parent.verticalCenter
                }
                Text {
                    anchors.verticalCenter: parent.verticalCenter
                    text: display.revealed ? qsTr("%1 of %2 got it right").arg(display.correctCount).arg(display.responses)
                                           : qsTr("%n answer(s)", "", display.responses)
                    color: "#ffffff"
                    font.pixelSize: 60 * win.u
                    font.weight: Font.DemiBold
                }
            }
        }

        // Hand poll: "raise your hand if ...", the count of hands.
        Item {
            anchors.fill: parent
            visible: display.mode === "poll"
            Image {
                id: pollHand
                objectName: "pollHand"
                source: "icons/hand.svg"
                sourceSize.width: 170 * win.u
                sourceSize.height: 170 * win.u
                anchors { top: parent.top; topMargin: 0; horizontalCenter: parent.horizontalCenter }
            }
            Text {
                id: pollPrompt
                objectName: "pollPrompt"
                anchors { top: pollHand.bottom; topMargin: 24 * win.u; horizontalCenter: parent.horizontalCenter }
                width: parent.width * 0.86
                height: 220 * win.u
                fontSizeMode: Text.Fit
                minimumPixelSize: 36 * win.u
                verticalAlignment: Text.AlignVCenter
                text: display.prompt
                textFormat: Text.PlainText  // lesson texts are never markup (an imported <img> must not load)
                color: "#ffffff"
                font.pixelSize: 88 * win.u
                font.weight: Font.Bold
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
            }
            Row {
                objectName: "pollFooter"
                anchors { bottom: parent.bottom; bottomMargin: 0; horizontalCenter: parent.horizontalCenter }
                spacing: 70 * win.u
                CountdownRing {
                    size: 190 * win.u
                    seconds: display.secondsLeft
                    total: display.totalSeconds
                    frozen: display.paused
                    anchors.verticalCenter: parent.verticalCenter
                }
                Text {
                    objectName: "pollCount"
                    anchors.verticalCenter: parent.verticalCenter
                    text: qsTr("%n hand(s) up", "", display.handCount)
                    color: "#ffd166"
                    font.pixelSize: 80 * win.u
                    font.weight: Font.Bold
                }
            }
        }

        // Activity timer.
        Column {
            anchors.centerIn: parent
            objectName: "timerCard"
            width: parent.width * 0.86
            spacing: 50 * win.u
            visible: display.mode === "timer"
            Text {
                width: parent.width
                text: display.prompt
                textFormat: Text.PlainText  // lesson texts are never markup (an imported <img> must not load)
                color: "#ffffff"
                font.pixelSize: 80 * win.u
                font.weight: Font.Bold
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
            }
            Text {
                objectName: "timerClock"
                width: parent.width
                text: display.secondsLeft < 0 ? "" : Math.floor(display.secondsLeft / 60) + ":" + ("0" + (display.secondsLeft % 60)).slice(-2)
                color: "#ffd166"
                font.pixelSize: 260 * win.u
                font.weight: Font.Bold
                horizontalAlignment: Text.AlignHCenter
                opacity: display.paused ? 0.6 : 1
            }
            Rectangle {
                width: parent.width * 0.7; height: 26 * win.u; radius: height / 2
                anchors.horizontalCenter: parent.horizontalCenter
                color: "#33ffffff"
                Rectangle {
                    height: parent.height; radius: parent.radius
                    width: display.totalSeconds > 0 ? parent.width * Math.max(0, display.secondsLeft) / display.totalSeconds : 0
                    color: "#ffd166"
                    Behavior on width { NumberAnimation { duration: 250 } }
                }
            }
        }

        // Slide: an image and/or a text.
        Column {
            anchors.centerIn: parent
            objectName: "slideCard"
            width: parent.width * 0.9
            spacing: 40 * win.u
            visible: display.mode === "slide"
            Image {
                visible: display.slideImage !== ""
                source: display.slideImage
                width: parent.width
                height: cardArea.height * (display.prompt !== "" ? 0.62 : 0.96)
                fillMode: Image.PreserveAspectFit
                asynchronous: true
            }
            Text {
                width: parent.width
                height: Math.min(implicitHeight, win.height * (display.slideImage !== "" ? 0.3 : 0.88))
                visible: display.prompt !== ""
                text: display.prompt
                textFormat: Text.PlainText  // lesson texts are never markup (an imported <img> must not load)
                color: "#ffffff"
                font.pixelSize: 80 * win.u
                font.weight: Font.Bold
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
                fontSizeMode: Text.Fit
                minimumPixelSize: 30 * win.u
            }
        }

        // End of class: warm words and class-level results (never a child's score).
        Column {
            anchors.centerIn: parent
            objectName: "summaryCard"
            width: parent.width * 0.8
            spacing: 30 * win.u
            visible: display.mode === "summary"
            Text {
                width: parent.width
                text: "\u2605   \u2605   \u2605"
                color: "#ffd166"
                font.family: "DejaVu Sans"
                font.pixelSize: 120 * win.u
                horizontalAlignment: Text.AlignHCenter
            }
            Text {
                objectName: "summaryText"
                width: parent.width
                text: display.summaryText !== "" ? display.summaryText : qsTr("Well done, everyone!")
                textFormat: Text.PlainText  // lesson texts are never markup (an imported <img> must not load)
                color: "#ffffff"
                font.pixelSize: 110 * win.u
                font.weight: Font.Bold
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.WordWrap
            }
            Text {
                width: parent.width
                visible: display.answered > 0
                text: display.headPeak > 0
                      ? qsTr("%1 of %2 answered").arg(Math.min(display.answered, display.headPeak)).arg(display.headPeak)
                      : qsTr("%n answer(s) from the class", "", display.answered)
                color: "#ffd166"
                font.pixelSize: 64 * win.u
                font.weight: Font.DemiBold
                horizontalAlignment: Text.AlignHCenter
            }
        }
        }
    }

    // ---- captions under the video ----------------------------------------------------------------------------------
    Rectangle {
        id: captionBox
        objectName: "captionBox"
        visible: display.captionsOn && display.caption !== "" && !win.cardMode && !display.cueVisible
        anchors { bottom: parent.bottom; bottomMargin: Math.max(8 * win.u, (win.bottomBand - height) / 2); horizontalCenter: parent.horizontalCenter }
        width: Math.min(parent.width * 0.9, captionText.implicitWidth + 64 * win.u)
        height: captionText.height + 32 * win.u
        radius: 16 * win.u
        color: "#cc0b1626"
        Text {
            id: captionText
            anchors.centerIn: parent
            width: Math.min(implicitWidth, win.width * 0.9 - 64 * win.u)
            text: display.caption
            textFormat: Text.PlainText  // lesson texts are never markup (an imported <img> must not load)
            color: "#ffffff"
            font.pixelSize: 52 * win.u
            font.weight: Font.DemiBold
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
            maximumLineCount: 2
            elide: Text.ElideLeft
        }
    }

    // ---- the segment's title, the pause pill and the analytics indicator ----------------------------------------
    Pill {
        objectName: "segmentPill"
        anchors { top: parent.top; left: parent.left; margins: 28 * win.u }
        width: Math.min(implicitWidth, parent.width * 0.34)
        clip: true
        visible: display.mode === "video" && display.segmentTitle !== "" && display.onAir === "lesson"
        text: display.segmentTitle
        fontSize: 30 * win.u
    }
    Pill {
        objectName: "pausedPill"
        anchors { top: parent.top; horizontalCenter: parent.horizontalCenter; topMargin: 28 * win.u }
        visible: display.paused && display.onAir === "lesson" && display.mode !== "summary"
        text: qsTr("Paused")
        fontSize: 36 * win.u
        color: "#99000000"
    }
    // ---- the remote lead teacher's ad-hoc card: a question or a hand poll, over the lesson for its time -----------
    Rectangle {
        id: leadCard
        objectName: "leadCard"
        visible: display.leadCardVisible
        anchors { horizontalCenter: parent.horizontalCenter; bottom: parent.bottom; bottomMargin: 150 * win.u }
        width: Math.min(parent.width - 160 * win.u, 1500 * win.u)
        height: leadColumn.implicitHeight + 80 * win.u
        radius: 36 * win.u
        color: "#fdfcf7"
        border.color: "#4f8fd8"
        border.width: 8 * win.u
        Column {
            id: leadColumn
            anchors { left: parent.left; right: parent.right; top: parent.top; margins: 40 * win.u }
            spacing: 22 * win.u
            Row {
                spacing: 28 * win.u
                Image {
                    visible: display.leadCardKind === "hand_poll"
                    source: "icons/hand.svg"
                    sourceSize.width: 110 * win.u
                    sourceSize.height: 110 * win.u
                }
                Text {
                    width: leadColumn.width - 260 * win.u
                    text: display.leadCardKind === "hand_poll" ? qsTr("Hands up if: %1").arg(display.leadCardPrompt)
                                                                : display.leadCardPrompt
                    color: "#1d2b3a"
                    font.pixelSize: 72 * win.u
                    font.weight: Font.Bold
                    wrapMode: Text.WordWrap
                    anchors.verticalCenter: parent.verticalCenter
                }
                Text {
                    text: display.leadCardSecondsLeft
                    color: "#4f8fd8"
                    font.pixelSize: 80 * win.u
                    font.weight: Font.Bold
                    anchors.verticalCenter: parent.verticalCenter
                }
            }
            Repeater {
                model: display.leadCardChoices
                Text {
                    text: String.fromCharCode(65 + index) + ".  " + modelData
                    color: "#1d2b3a"
                    font.pixelSize: 60 * win.u
                }
            }
        }
    }
    // ---- "I see your hand" (for the student the teacher called on), in the bottom band ---------------------------
    Rectangle {
        id: cue
        objectName: "handCue"
        visible: scale > 0.01
        scale: display.cueVisible ? 1 : 0
        Behavior on scale { NumberAnimation { duration: 280; easing.type: Easing.OutBack } }
        anchors { bottom: parent.bottom; bottomMargin: (win.bottomBand - height) / 2; horizontalCenter: parent.horizontalCenter }
        width: cueRow.implicitWidth + 90 * win.u
        height: 150 * win.u
        radius: height / 2
        color: "#fdfcf7"
        border.color: "#ffd166"
        border.width: 8 * win.u
        Row {
            id: cueRow
            anchors.centerIn: parent
            spacing: 28 * win.u
            Image {
                source: "icons/hand.svg"
                sourceSize.width: 104 * win.u
                sourceSize.height: 104 * win.u
                anchors.verticalCenter: parent.verticalCenter
            }
            Text {
                text: qsTr("I see your hand!")
                color: "#1d2b3a"
                font.pixelSize: 76 * win.u
                font.weight: Font.Bold
                anchors.verticalCenter: parent.verticalCenter
            }
        }
    }

    // ---- always on top: the analytics indicator -----------------------------------------------------------------
    Pill {
        id: indicator
        objectName: "analyticsIndicator"
        anchors { top: parent.top; right: parent.right; margins: 28 * win.u }
        visible: display.indicator !== ""
        dot: "#ef4444"
        text: {
            switch (display.indicator) {
            case "simulated": return qsTr("Demo: simulated class")
            case "camera": return qsTr("Camera on")
            case "microphone": return qsTr("Microphone on")
            case "analytics": return qsTr("Analytics on")
            }
            return qsTr("Camera and microphone on")
        }
        fontSize: 26 * win.u
    }
}
