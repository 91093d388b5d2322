<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
    <context>
        <name>Classroom</name>
        <message>
            <source>Classroom display</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The lesson is about to begin</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Say your answer out loud!</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Answer: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 of %2 got it right</source>
            <translation type="unfinished" />
        </message>
        <message numerus="yes">
            <source>%n answer(s)</source>
            <translation>
                <numerusform>%n answer</numerusform>
                <numerusform>%n answers</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n hand(s) up</source>
            <translation>
                <numerusform>%n hand up</numerusform>
                <numerusform>%n hands up</numerusform>
            </translation>
        </message>
        <message>
            <source>Well done, everyone!</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 of %2 answered</source>
            <translation type="unfinished" />
        </message>
        <message numerus="yes">
            <source>%n answer(s) from the class</source>
            <translation>
                <numerusform>%n answer from the class</numerusform>
                <numerusform>%n answers from the class</numerusform>
            </translation>
        </message>
        <message>
            <source>Paused</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Demo: simulated class</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Camera and microphone on</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>I see your hand!</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Camera on</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Microphone on</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Analytics on</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Hands up if: %1</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>Console</name>
        <message>
            <source>Teacher console</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Video</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Slide</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Question</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Hand poll</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Activity</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>End</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The live stream stopped. The AI lesson carries on; trying to reconnect.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The AI lesson is on the display, from "%1".</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The AI lesson is on the display.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The live stream is back. Press "Back to live" when it suits you.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The camera stopped. The lesson goes on without hand counts.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Camera and microphone analytics are paused.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1: %2</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Ready to start</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Class ended</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Connecting to the live teacher…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The live teacher is leading</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Paused</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Running</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Live teacher</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Connecting…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>AI lesson</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Simulated class</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Analytics on</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Lesson</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Display</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Live stream</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Saving</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>playing</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>connecting</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>waiting to try again</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>stopped</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>simulated</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>if needed</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Now</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 s left</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Live teacher · in the plan: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Start the class</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Resume</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Pause</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>B or Space</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Back</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>PgUp</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Next</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>PgDn</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Replay</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Skip question</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>+15 s</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Switch to AI lesson</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Back to live</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Live stream: playing.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The live stream is back.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Live stream: not reachable, next try in %1 s.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Live stream: connecting…</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Answers</source>
            <translation type="unfinished" />
        </message>
        <message numerus="yes">
            <source>%n answer(s)</source>
            <translation>
                <numerusform>%n answer</numerusform>
                <numerusform>%n answers</numerusform>
            </translation>
        </message>
        <message>
            <source>Type an answer you heard</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Add</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>No question right now.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Earlier</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1: %2 correct of %3</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1: %2 hands</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The room</source>
            <translation type="unfinished" />
        </message>
        <message numerus="yes">
            <source>%n student(s) present</source>
            <translation>
                <numerusform>%n student present</numerusform>
                <numerusform>%n students present</numerusform>
            </translation>
        </message>
        <message>
            <source>No hands up</source>
            <translation type="unfinished" />
        </message>
        <message numerus="yes">
            <source>%n hand(s) up</source>
            <translation>
                <numerusform>%n hand up</numerusform>
                <numerusform>%n hands up</numerusform>
            </translation>
        </message>
        <message>
            <source>Call on first hand</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Attention</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Talk in the last minute: teacher %1 s, class %2 s</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Alerts</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>All is well.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Captions</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>on the display</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>hidden</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Captions appear here when speech is recognised.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>System</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 fps</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>%1 dropped</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>mic %1%</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Pause analytics</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Resume analytics</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Hide captions</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Show captions</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Camera set-up</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>End class</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>End the class now? The display shows the class summary.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Keep teaching</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Done</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Place the camera at the front of the room, above the display, so that every desk is in view. Only you see this picture; it is not recorded and never shown to the class.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The camera could not start. Check its cable, then open this view again.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>No camera found. Connect a USB camera, then open this view again. The lesson works without one.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The classroom display was closed. The lesson goes on.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Show the classroom display</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Close the console and end the class? Everything recorded so far is kept.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>End class and close</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>window closed</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Recording paused: the disk is full. The lesson goes on and events wait in memory; free space on %1.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The disk is almost full. Recording goes on; free space on %1 after the class.</source>
            <translation type="unfinished" />
        </message>
        <message numerus="yes">
            <source>about %n student(s) present</source>
            <translation>
                <numerusform>about %n student present</numerusform>
                <numerusform>about %n students present</numerusform>
            </translation>
        </message>
        <message>
            <source>The display shows the class summary until you close it. The report is ready.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The display shows the class summary until you close it.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Open the report</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Start the next lesson</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Close</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Analytics paused</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Camera on</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Microphone on</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Camera and microphone on</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>video too slow</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The link to the lead teacher is down (%1). The class goes on.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>(remote control is off: nothing was done)</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The lead teacher called on a raised hand (%1).</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The lead teacher asks for a hand poll: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The lead teacher asks: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The lead teacher switched to the live stream.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The lead teacher switched to the AI lesson.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The lead teacher paused the lesson.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>The lead teacher resumed the lesson.</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Note from the lead teacher: %1</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Lead teacher link</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Turn remote control off</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Allow remote control</source>
            <translation type="unfinished" />
        </message>
    </context>
    <context>
        <name>SeatMap</name>
        <message>
            <source>Front of the room</source>
            <translation type="unfinished" />
        </message>
    </context>
</TS>
