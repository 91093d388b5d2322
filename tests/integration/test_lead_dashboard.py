"""End to end in a real browser: `lead serve`, two headless demos linked to it, the dashboard in Debian's chromium
(Selenium + chromium-driver). Sign in, see both classrooms, call on a seat, and find the cue in that classroom's
event log. Screenshots go to artifacts/lead-dashboard/."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.integration._lead import event_kinds, free_port, lead_server, setup_rooms, start_demo, stop, wait_for

T = TypeVar("T")

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "lead-dashboard"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason="needs Debian's chromium and chromium-driver"),
]


def _browser(profile: Path):  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-proxy-server",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
        "--lang=en-US",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(str(DRIVER)), options=opts)


def test_dashboard_signs_in_sees_two_rooms_and_calls_on_a_seat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    def fresh(action: Callable[[], T]) -> T:
        """The dashboard redraws its tiles and seat map on every update (about 1/s per classroom): an element
        found a moment ago may be gone; look it up again."""
        for attempt in range(10):
            try:
                return action()
            except StaleElementReferenceException:
                if attempt == 9:
                    raise
        raise AssertionError("unreachable")

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not try to download a driver
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "lead.sqlite"
    tokens = setup_rooms(db, ["Grade 2 · Yuxi", "Grade 2 · Hekou"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rooms = [tmp_path / "room-a", tmp_path / "room-b"]
    with lead_server(db, port, tmp_path / "server.log"):
        demos = [
            start_demo(rooms[0], base, tokens[0], "--class-size", "28"),
            start_demo(rooms[1], base, tokens[1], "--class-size", "31", "--seed", "11"),
        ]
        profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=tmp_path))
        driver = _browser(profile)
        try:
            wait = WebDriverWait(driver, 30, ignored_exceptions=(StaleElementReferenceException,))
            driver.get(base + "/")
            wait.until(ec.visibility_of_element_located((By.ID, "password")))
            driver.save_screenshot(str(ARTIFACTS / "01-sign-in.png"))
            driver.find_element(By.ID, "password").send_keys("wrong password")
            driver.find_element(By.ID, "signin").click()
            wait.until(lambda d: d.find_element(By.ID, "signin-error").text.strip() != "")
            driver.find_element(By.ID, "password").clear()
            driver.find_element(By.ID, "password").send_keys("lead-test-password")
            driver.find_element(By.ID, "signin").click()
            # Both classrooms connected and running their lesson.
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".tile.on")) == 2)
            wait.until(lambda d: all("Adding" in t.text for t in d.find_elements(By.CSS_SELECTOR, ".tile")))
            names = sorted(
                driver.execute_script(  # read in one go: the tiles may be redrawn between two element reads
                    "return [...document.querySelectorAll('.tile h2')].map(h => h.textContent.trim());"
                )
            )
            assert "Grade 2 · Hekou" in names[0] and "Grade 2 · Yuxi" in names[1]
            driver.save_screenshot(str(ARTIFACTS / "02-two-classrooms.png"))

            fresh(
                lambda: driver.find_element(
                    By.XPATH, "//div[contains(@class,'tile')][.//h2[contains(., 'Yuxi')]]"
                ).click()
            )
            wait.until(ec.visibility_of_element_located((By.ID, "d-map")))

            def call_on_a_seat() -> None:
                dots = driver.find_elements(By.CSS_SELECTOR, "#d-map circle.hand")
                (dots[0] if dots else driver.find_element(By.ID, "d-map")).click()

            fresh(call_on_a_seat)
            wait.until(lambda d: "sent to the classroom" in d.find_element(By.ID, "d-ack").text)
            # The cue reaches that classroom's event log (and not the other one's).
            got = wait_for(
                lambda: [k for k, _ in event_kinds(rooms[0]) if k in ("LeadCommandReceived", "TeacherCalledOnHand")],
                timeout=15,
            )
            assert "LeadCommandReceived" in got and "TeacherCalledOnHand" in got
            assert not [k for k, _ in event_kinds(rooms[1]) if k == "LeadCommandReceived"]
            # ... and comes back to the dashboard in the room's own log of received commands.
            wait.until(lambda d: "call on a seat" in d.find_element(By.ID, "d-log").text)
            driver.save_screenshot(str(ARTIFACTS / "03-detail-called-on-seat.png"))

            driver.find_element(By.ID, "note-text").send_keys("Please check the back row")
            driver.find_element(By.ID, "cmd-note").click()
            notes = wait_for(
                lambda: [p for k, p in event_kinds(rooms[0]) if k == "LeadCommandReceived" and p["command"] == "note"],
                timeout=15,
            )
            assert notes and notes[0]["detail"] == "Please check the back row"
            assert driver.find_element(By.ID, "note-text").get_attribute("value") == ""
            # An ad-hoc question card: it goes to the classroom (its display shows it) and back to the dashboard.
            driver.find_element(By.ID, "question-prompt").send_keys("Which is more: 7 or 9?")
            driver.find_element(By.ID, "question-choices").send_keys("7, 9")
            driver.find_element(By.ID, "cmd-question").click()
            shown = wait_for(lambda: [p for k, p in event_kinds(rooms[0]) if k == "LeadQuestionShown"], timeout=15)
            assert shown and shown[0]["prompt"] == "Which is more: 7 or 9?" and shown[0]["choices"] == ["7", "9"]
            wait.until(lambda d: "Which is more: 7 or 9?" in d.find_element(By.ID, "d-poll").text)

            driver.find_element(By.ID, "lang-zh").click()
            wait.until(lambda d: "全部教室" in d.find_element(By.ID, "back").text)
            wait.until(lambda d: "模拟课堂" in d.find_element(By.ID, "d-health").text)
            assert "已发送到教室" in driver.find_element(By.ID, "d-ack").text
            driver.save_screenshot(str(ARTIFACTS / "04-detail-zh-Hans.png"))
            driver.find_element(By.ID, "back").click()
            wait.until(lambda d: "已连接" in d.find_element(By.ID, "tiles").text)
            driver.save_screenshot(str(ARTIFACTS / "05-two-classrooms-zh-Hans.png"))
            # A classroom that stops shows as not connected, with its last known state and when it came.
            driver.find_element(By.ID, "lang-en").click()
            stop(demos[1])
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".tile.on")) == 1)
            wait.until(lambda d: "last update" in d.find_element(By.ID, "tiles").text)
            driver.save_screenshot(str(ARTIFACTS / "06-one-classroom-gone.png"))
        finally:
            driver.quit()
            for d in demos:
                stop(d)
