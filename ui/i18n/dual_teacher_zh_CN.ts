<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>Classroom</name>
        <message>
            <source>Classroom display</source>
            <translation>课堂大屏</translation>
        </message>
        <message>
            <source>The lesson is about to begin</source>
            <translation>马上开始上课</translation>
        </message>
        <message>
            <source>Say your answer out loud!</source>
            <translation>大声说出你的答案！</translation>
        </message>
        <message>
            <source>Answer: %1</source>
            <translation>答案：%1</translation>
        </message>
        <message>
            <source>%1 of %2 got it right</source>
            <translation>%2 人中 %1 人答对</translation>
        </message>
        <message numerus="yes">
            <source>%n answer(s)</source>
            <translation>
                <numerusform>%n 个回答</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n hand(s) up</source>
            <translation>
                <numerusform>%n 人举手</numerusform>
            </translation>
        </message>
        <message>
            <source>Well done, everyone!</source>
            <translation>大家真棒！</translation>
        </message>
        <message>
            <source>%1 of %2 answered</source>
            <translation>%2 人中 %1 人回答了</translation>
        </message>
        <message numerus="yes">
            <source>%n answer(s) from the class</source>
            <translation>
                <numerusform>全班共 %n 个回答</numerusform>
            </translation>
        </message>
        <message>
            <source>Paused</source>
            <translation>已暂停</translation>
        </message>
        <message>
            <source>Demo: simulated class</source>
            <translation>演示：模拟课堂</translation>
        </message>
        <message>
            <source>Camera and microphone on</source>
            <translation>摄像头和麦克风已开启</translation>
        </message>
        <message>
            <source>I see your hand!</source>
            <translation>我看到你举手了！</translation>
        </message>
        <message>
            <source>Camera on</source>
            <translation>摄像头已开启</translation>
        </message>
        <message>
            <source>Microphone on</source>
            <translation>麦克风已开启</translation>
        </message>
        <message>
            <source>Analytics on</source>
            <translation>分析已开启</translation>
        </message>
        <message>
            <source>Hands up if: %1</source>
            <translation>请举手，如果：%1</translation>
        </message>
    </context>
    <context>
        <name>Console</name>
        <message>
            <source>Teacher console</source>
            <translation>教师控制台</translation>
        </message>
        <message>
            <source>Video</source>
            <translation>视频</translation>
        </message>
        <message>
            <source>Slide</source>
            <translation>幻灯片</translation>
        </message>
        <message>
            <source>Question</source>
            <translation>提问</translation>
        </message>
        <message>
            <source>Hand poll</source>
            <translation>举手</translation>
        </message>
        <message>
            <source>Activity</source>
            <translation>活动</translation>
        </message>
        <message>
            <source>End</source>
            <translation>结束</translation>
        </message>
        <message>
            <source>The live stream stopped. The AI lesson carries on; trying to reconnect.</source>
            <translation>直播中断了。AI 课程继续上课，正在尝试重新连接。</translation>
        </message>
        <message>
            <source>The AI lesson is on the display, from "%1".</source>
            <translation>大屏正在播放 AI 课程，从“%1”开始。</translation>
        </message>
        <message>
            <source>The AI lesson is on the display.</source>
            <translation>大屏正在播放 AI 课程。</translation>
        </message>
        <message>
            <source>The live stream is back. Press "Back to live" when it suits you.</source>
            <translation>直播恢复了。合适的时候请按“回到直播”。</translation>
        </message>
        <message>
            <source>The camera stopped. The lesson goes on without hand counts.</source>
            <translation>摄像头停止了。课程继续，但暂时不能统计举手。</translation>
        </message>
        <message>
            <source>Camera and microphone analytics are paused.</source>
            <translation>摄像头和麦克风分析已暂停。</translation>
        </message>
        <message>
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message>
            <source>Ready to start</source>
            <translation>准备开始</translation>
        </message>
        <message>
            <source>Class ended</source>
            <translation>已下课</translation>
        </message>
        <message>
            <source>Connecting to the live teacher…</source>
            <translation>正在连接直播老师…</translation>
        </message>
        <message>
            <source>The live teacher is leading</source>
            <translation>直播老师正在上课</translation>
        </message>
        <message>
            <source>Paused</source>
            <translation>已暂停</translation>
        </message>
        <message>
            <source>Running</source>
            <translation>上课中</translation>
        </message>
        <message>
            <source>Live teacher</source>
            <translation>直播老师</translation>
        </message>
        <message>
            <source>Connecting…</source>
            <translation>连接中…</translation>
        </message>
        <message>
            <source>AI lesson</source>
            <translation>AI 课程</translation>
        </message>
        <message>
            <source>Simulated class</source>
            <translation>模拟课堂</translation>
        </message>
        <message>
            <source>Analytics on</source>
            <translation>分析已开启</translation>
        </message>
        <message>
            <source>Lesson</source>
            <translation>课程</translation>
        </message>
        <message>
            <source>Display</source>
            <translation>大屏</translation>
        </message>
        <message>
            <source>Live stream</source>
            <translation>直播</translation>
        </message>
        <message>
            <source>Saving</source>
            <translation>保存</translation>
        </message>
        <message>
            <source>playing</source>
            <translation>正在播放</translation>
        </message>
        <message>
            <source>connecting</source>
            <translation>连接中</translation>
        </message>
        <message>
            <source>waiting to try again</source>
            <translation>等待重试</translation>
        </message>
        <message>
            <source>stopped</source>
            <translation>已停止</translation>
        </message>
        <message>
            <source>simulated</source>
            <translation>模拟</translation>
        </message>
        <message>
            <source>if needed</source>
            <translation>需要时</translation>
        </message>
        <message>
            <source>Now</source>
            <translation>现在</translation>
        </message>
        <message>
            <source>%1 s left</source>
            <translation>还剩 %1 秒</translation>
        </message>
        <message>
            <source>Live teacher · in the plan: %1</source>
            <translation>直播老师 · 按计划：%1</translation>
        </message>
        <message>
            <source>Start the class</source>
            <translation>开始上课</translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>继续</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>暂停</translation>
        </message>
        <message>
            <source>B or Space</source>
            <translation>B 键或空格键</translation>
        </message>
        <message>
            <source>Back</source>
            <translation>上一步</translation>
        </message>
        <message>
            <source>PgUp</source>
            <translation>PgUp 键</translation>
        </message>
        <message>
            <source>Next</source>
            <translation>下一步</translation>
        </message>
        <message>
            <source>PgDn</source>
            <translation>PgDn 键</translation>
        </message>
        <message>
            <source>Replay</source>
            <translation>重播</translation>
        </message>
        <message>
            <source>Skip question</source>
            <translation>跳过题目</translation>
        </message>
        <message>
            <source>+15 s</source>
            <translation>+15 秒</translation>
        </message>
        <message>
            <source>Switch to AI lesson</source>
            <translation>切换到 AI 课程</translation>
        </message>
        <message>
            <source>Back to live</source>
            <translation>回到直播</translation>
        </message>
        <message>
            <source>Live stream: playing.</source>
            <translation>直播：正在播放。</translation>
        </message>
        <message>
            <source>The live stream is back.</source>
            <translation>直播恢复了。</translation>
        </message>
        <message>
            <source>Live stream: not reachable, next try in %1 s.</source>
            <translation>直播：连接不上，%1 秒后再试。</translation>
        </message>
        <message>
            <source>Live stream: connecting…</source>
            <translation>直播：连接中…</translation>
        </message>
        <message>
            <source>Answers</source>
            <translation>回答</translation>
        </message>
        <message numerus="yes">
            <source>%n answer(s)</source>
            <translation>
                <numerusform>%n 个回答</numerusform>
            </translation>
        </message>
        <message>
            <source>Type an answer you heard</source>
            <translation>输入你听到的答案</translation>
        </message>
        <message>
            <source>Add</source>
            <translation>添加</translation>
        </message>
        <message>
            <source>No question right now.</source>
            <translation>现在没有题目。</translation>
        </message>
        <message>
            <source>Earlier</source>
            <translation>之前</translation>
        </message>
        <message>
            <source>%1: %2 correct of %3</source>
            <translation>%1：%3 个回答中 %2 个正确</translation>
        </message>
        <message>
            <source>%1: %2 hands</source>
            <translation>%1：%2 人举手</translation>
        </message>
        <message>
            <source>The room</source>
            <translation>教室</translation>
        </message>
        <message numerus="yes">
            <source>%n student(s) present</source>
            <translation>
                <numerusform>%n 名学生在场</numerusform>
            </translation>
        </message>
        <message>
            <source>No hands up</source>
            <translation>没有人举手</translation>
        </message>
        <message numerus="yes">
            <source>%n hand(s) up</source>
            <translation>
                <numerusform>%n 人举手</numerusform>
            </translation>
        </message>
        <message>
            <source>Call on first hand</source>
            <translation>请第一位举手的同学</translation>
        </message>
        <message>
            <source>Attention</source>
            <translation>专注度</translation>
        </message>
        <message>
            <source>Talk in the last minute: teacher %1 s, class %2 s</source>
            <translation>最近一分钟讲话：老师 %1 秒，学生 %2 秒</translation>
        </message>
        <message>
            <source>Alerts</source>
            <translation>提醒</translation>
        </message>
        <message>
            <source>All is well.</source>
            <translation>一切正常。</translation>
        </message>
        <message>
            <source>Captions</source>
            <translation>字幕</translation>
        </message>
        <message>
            <source>on the display</source>
            <translation>显示在大屏上</translation>
        </message>
        <message>
            <source>hidden</source>
            <translation>已隐藏</translation>
        </message>
        <message>
            <source>Captions appear here when speech is recognised.</source>
            <translation>识别到讲话后，字幕会显示在这里。</translation>
        </message>
        <message>
            <source>System</source>
            <translation>系统</translation>
        </message>
        <message>
            <source>%1 fps</source>
            <translation>%1 帧/秒</translation>
        </message>
        <message>
            <source>%1 dropped</source>
            <translation>丢弃 %1</translation>
        </message>
        <message>
            <source>mic %1%</source>
            <translation>麦克风 %1%</translation>
        </message>
        <message>
            <source>Pause analytics</source>
            <translation>暂停分析</translation>
        </message>
        <message>
            <source>Resume analytics</source>
            <translation>恢复分析</translation>
        </message>
        <message>
            <source>Hide captions</source>
            <translation>隐藏字幕</translation>
        </message>
        <message>
            <source>Show captions</source>
            <translation>显示字幕</translation>
        </message>
        <message>
            <source>Camera set-up</source>
            <translation>摄像头设置</translation>
        </message>
        <message>
            <source>End class</source>
            <translation>下课</translation>
        </message>
        <message>
            <source>End the class now? The display shows the class summary.</source>
            <translation>现在下课吗？大屏会显示课堂总结。</translation>
        </message>
        <message>
            <source>Keep teaching</source>
            <translation>继续上课</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>完成</translation>
        </message>
        <message>
            <source>Place the camera at the front of the room, above the display, so that every desk is in view. Only you see this picture; it is not recorded and never shown to the class.</source>
            <translation>把摄像头放在教室前面、大屏上方，让每张课桌都在画面里。只有你能看到这个画面；它不会被录下，也不会给学生看。</translation>
        </message>
        <message>
            <source>The camera could not start. Check its cable, then open this view again.</source>
            <translation>摄像头无法启动。请检查连接线，然后重新打开这个页面。</translation>
        </message>
        <message>
            <source>No camera found. Connect a USB camera, then open this view again. The lesson works without one.</source>
            <translation>没有找到摄像头。请连接 USB 摄像头，然后重新打开这个页面。没有摄像头也可以上课。</translation>
        </message>
        <message>
            <source>The classroom display was closed. The lesson goes on.</source>
            <translation>课堂大屏的窗口已关闭。课程仍在继续。</translation>
        </message>
        <message>
            <source>Show the classroom display</source>
            <translation>显示课堂大屏</translation>
        </message>
        <message>
            <source>Close the console and end the class? Everything recorded so far is kept.</source>
            <translation>关闭控制台并下课吗？已记录的内容都会保留。</translation>
        </message>
        <message>
            <source>End class and close</source>
            <translation>下课并关闭</translation>
        </message>
        <message>
            <source>window closed</source>
            <translation>窗口已关闭</translation>
        </message>
        <message>
            <source>Recording paused: the disk is full. The lesson goes on and events wait in memory; free space on %1.</source>
            <translation>记录已暂停：磁盘已满。课程继续，事件暂存在内存中；请清理 %1 所在磁盘的空间。</translation>
        </message>
        <message>
            <source>The disk is almost full. Recording goes on; free space on %1 after the class.</source>
            <translation>磁盘快满了。记录仍在继续；下课后请清理 %1 所在磁盘的空间。</translation>
        </message>
        <message numerus="yes">
            <source>about %n student(s) present</source>
            <translation>
                <numerusform>约 %n 名学生在场</numerusform>
            </translation>
        </message>
        <message>
            <source>The display shows the class summary until you close it. The report is ready.</source>
            <translation>大屏会一直显示本节课的总结，直到您关闭它。课后报告已生成。</translation>
        </message>
        <message>
            <source>The display shows the class summary until you close it.</source>
            <translation>大屏会一直显示本节课的总结，直到您关闭它。</translation>
        </message>
        <message>
            <source>Open the report</source>
            <translation>打开课后报告</translation>
        </message>
        <message>
            <source>Start the next lesson</source>
            <translation>开始下一节课</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>关闭</translation>
        </message>
        <message>
            <source>Analytics paused</source>
            <translation>分析已暂停</translation>
        </message>
        <message>
            <source>Camera on</source>
            <translation>摄像头已开启</translation>
        </message>
        <message>
            <source>Microphone on</source>
            <translation>麦克风已开启</translation>
        </message>
        <message>
            <source>Camera and microphone on</source>
            <translation>摄像头和麦克风已开启</translation>
        </message>
        <message>
            <source>video too slow</source>
            <translation>视频太卡</translation>
        </message>
        <message>
            <source>The link to the lead teacher is down (%1). The class goes on.</source>
            <translation>与主讲教师的连接中断（%1）。课堂照常进行。</translation>
        </message>
        <message>
            <source>(remote control is off: nothing was done)</source>
            <translation>（远程控制已关闭：未执行）</translation>
        </message>
        <message>
            <source>The lead teacher called on a raised hand (%1).</source>
            <translation>主讲教师点名了一位举手的同学（%1）。</translation>
        </message>
        <message>
            <source>The lead teacher asks for a hand poll: %1</source>
            <translation>主讲教师发起举手投票：%1</translation>
        </message>
        <message>
            <source>The lead teacher asks: %1</source>
            <translation>主讲教师提问：%1</translation>
        </message>
        <message>
            <source>The lead teacher switched to the live stream.</source>
            <translation>主讲教师切换到了直播。</translation>
        </message>
        <message>
            <source>The lead teacher switched to the AI lesson.</source>
            <translation>主讲教师切换到了 AI 课程。</translation>
        </message>
        <message>
            <source>The lead teacher paused the lesson.</source>
            <translation>主讲教师暂停了课程。</translation>
        </message>
        <message>
            <source>The lead teacher resumed the lesson.</source>
            <translation>主讲教师继续了课程。</translation>
        </message>
        <message>
            <source>Note from the lead teacher: %1</source>
            <translation>主讲教师留言：%1</translation>
        </message>
        <message>
            <source>Lead teacher link</source>
            <translation>主讲教师连接</translation>
        </message>
        <message>
            <source>Turn remote control off</source>
            <translation>关闭远程控制</translation>
        </message>
        <message>
            <source>Allow remote control</source>
            <translation>允许远程控制</translation>
        </message>
    </context>
    <context>
        <name>SeatMap</name>
        <message>
            <source>Front of the room</source>
            <translation>教室前面</translation>
        </message>
    </context>
</TS>
