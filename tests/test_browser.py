"""Draw a digit in a real browser: JupyterLab serves the notebook (on 127.0.0.1 only), headless Chromium runs all of
its cells on the demo data as a reader would, draws a digit on the pad with pointer events and reads the answer.

Needs Debian's chromium and chromium-driver (.ci/run installs them). Set DIGIT_RECOGNIZER_SCREENSHOT to a path to
keep the screenshot there as well, and DIGIT_RECOGNIZER_BROWSER_SETTINGS to JSON settings for the run; the README's
assets/draw_a_digit.png was made with '{"MODEL": "modern", "EPOCHS": 8}'.
"""

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import papermill
import pytest

from conftest import NOTEBOOK

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
pytestmark = [pytest.mark.slow,  # it runs the whole notebook in JupyterLab
              pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                 reason="needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver")]
BLANK = "Draw a digit in the box."


def call(base, path, token, method="GET"):
    """One call to the Jupyter server's REST API."""
    request = urllib.request.Request(base + path, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a free port of 127.0.0.1, serving the notebook prepared for one epoch on the demo data."""
    papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "draw.ipynb"), prepare_only=True,
                               parameters={"DATASET": "demo", "EPOCHS": 1, "OUTPUT_DIR": str(tmp_path / "output"),
                                           **json.loads(os.environ.get("DIGIT_RECOGNIZER_BROWSER_SETTINGS", "{}"))})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token, base = secrets.token_hex(16), f"http://127.0.0.1:{port}"
    settings = {name: str(tmp_path / "jupyter" / name) for name in
                ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")}
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--allow-root",
                               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None"],
                              env={**os.environ, **settings}, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(120):
            try:
                call(base, "/api/status", token)
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "lab.log").read_text()
                time.sleep(0.5)
        yield base, token, tmp_path
    finally:
        server.terminate()  # by its process id
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def browser():
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1300,1100"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(str(CHROMEDRIVER)))
    yield driver
    driver.quit()


def draw(driver, canvas, strokes):
    """Draw strokes through points given as fractions (0-1) of the canvas, with the pointer down along each."""
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    actions = ActionBuilder(driver, mouse=PointerInput(interaction.POINTER_MOUSE, "mouse"))
    width = canvas.size["width"]
    for stroke in strokes:
        for index, (x, y) in enumerate(stroke):  # offsets from the canvas's centre
            actions.pointer_action.move_to(canvas, int((x - 0.5) * width), int((y - 0.5) * width))
            if index == 0:
                actions.pointer_action.pointer_down()
        actions.pointer_action.pointer_up()
    actions.perform()


def preview_ink(driver):
    """Dark pixels in the 28x28 preview of what the network sees."""
    return driver.execute_script(
        "const d = document.querySelector('.digit-preview').getContext('2d').getImageData(0, 0, 28, 28).data;"
        "let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i + 3] > 0 && d[i] < 128; return n;")


def test_run_all_in_jupyterlab_then_draw_a_digit(lab, browser):
    base, token, folder = lab
    browser.get(f"{base}/lab/tree/draw.ipynb?token={token}")
    try:
        draw_after_running_all(browser, folder)
    finally:  # what the browser showed, for a reader of a failure too
        browser.save_screenshot(str(folder / "browser.png"))
        if os.environ.get("DIGIT_RECOGNIZER_DEBUG"):
            shutil.copyfile(folder / "browser.png", os.environ["DIGIT_RECOGNIZER_DEBUG"])


def draw_after_running_all(browser, folder):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, int(os.environ.get('DIGIT_RECOGNIZER_WAIT', 600)), poll_frequency=0.5)
    wait.until(lambda d: d.execute_script(
        "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        "return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.status === 'idle');"))
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    answer = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".digit-answer"))
    cells = ("const w = window.jupyterapp.shell.currentWidget, cells = Array.from(w.content.model.cells)"
             ".filter(c => c.type === 'code');")
    wait.until(lambda d: answer.text == BLANK and d.execute_script(  # every code cell has run, and the kernel rests
        cells + "return w.sessionContext.session.kernel.status === 'idle' && cells.every(c => c.executionCount !== null);"))
    errors = browser.execute_script(cells + "return cells.flatMap(c => c.outputs.toJSON())"
                                    ".filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue);")
    assert errors == []
    assert (folder / "output" / "submission.csv").is_file()
    canvas = browser.find_element(By.CSS_SELECTOR, ".digit-canvas")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    assert preview_ink(browser) == 0

    for _ in range(3):  # a stroke drawn while a loaded page still lays itself out can miss the canvas: draw it again
        draw(browser, canvas, [[(0.25, 0.2), (0.75, 0.2)]])  # a 7: the bar, then the stem
        with contextlib.suppress(TimeoutException):
            WebDriverWait(browser, 60, poll_frequency=0.5).until(lambda d: answer.text != BLANK)
            break
    assert answer.text != BLANK
    first = answer.text
    draw(browser, canvas, [[(0.75, 0.2), (0.6, 0.5), (0.45, 0.85)]])
    wait.until(lambda d: answer.text != first)
    assert answer.text.startswith("It looks like a ") and answer.text.count("%") == 3, answer.text
    assert preview_ink(browser) > 10 and len(browser.find_elements(By.CSS_SELECTOR, ".digit-bars i")) == 10
    cell = canvas.find_element(By.XPATH, "./ancestor::div[contains(@class, 'jp-Cell ')]")
    cell.screenshot(str(folder / "draw_a_digit.png"))
    if os.environ.get("DIGIT_RECOGNIZER_SCREENSHOT"):
        shutil.copyfile(folder / "draw_a_digit.png", os.environ["DIGIT_RECOGNIZER_SCREENSHOT"])
    print("answers:", first, "|", answer.text)
