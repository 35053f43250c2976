#!/usr/bin/env python3
"""Browser end-to-end test of the dashboard: a real `churn serve`, headless Chromium driven by Selenium.

Creates an analyst account with `churn users add`, is sent to the sign-in page, signs in, uploads the
sample CSV and an XLSX through the upload page, waits for each run, checks that the charts are drawn
and that the top-5 table equals `churn score`'s summary for the same file, re-ranks a run, opens a
customer and the retention-offer modal, saves a draft and sends it (queued in the outbox), and saves screenshots. Output safety: a file
whose ids are `<img src=x onerror=alert(1)>` and `=HYPERLINK("http://x")` shows them as text with no
dialog, and its results CSV holds the formula as text. Finally signs out.

usage: browser_test.py CHURN_BINARY SCREENSHOT_DIR
"""
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import openpyxl
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
churn, shots = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
os.makedirs(shots, exist_ok=True)
work = tempfile.mkdtemp(prefix="churn-browser-")
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        raise AssertionError(message)


def run(*args):
    r = subprocess.run([churn, *args], capture_output=True, text=True, env={**os.environ, "CHURN_DB": os.path.join(work, "cli.sqlite")})
    check(r.returncode == 0, f"churn {' '.join(args)} failed: {r.stderr}")
    return r


def cli_top5(path, *extra):
    summary = os.path.join(work, os.path.basename(path) + ".summary.json")
    run("score", path, "--model", model, "--out", os.path.join(work, "cli.csv"), "--summary-json", summary,
        "--quiet", "--no-history", *extra)
    with open(summary) as f:
        top = json.load(f)["top"][:5]
    return [(c["id"], "%.4f" % c["probability"], c["riskLevel"]) for c in top]


model = os.path.join(work, "model.json")
run("train", os.path.join(ROOT, "scripts/data/train.csv"), "--label", "churn_label", "--out", model)
sample = os.path.join(ROOT, "scripts/data/test.csv")
xlsx = os.path.join(work, "customers.xlsx")
wb = openpyxl.Workbook()
wb.active.title = "Notes"
ws = wb.create_sheet("Customers")
with open(sample) as f:
    for i, row in enumerate(csv.reader(f)):
        if i > 200:
            break
        ws.append(row)
wb.save(xlsx)

# Hostile ids: markup and a spreadsheet formula.
XSS_ID, FORMULA_ID = "<img src=x onerror=alert(1)>", '=HYPERLINK("http://x")'
hostile = os.path.join(work, "hostile.csv")
with open(sample) as f, open(hostile, "w", newline="") as out:
    rows = list(csv.reader(f))[:6]
    rows[1][0], rows[2][0] = XSS_ID, FORMULA_ID
    csv.writer(out).writerows(rows)

data_dir = os.path.join(work, "data")
PASSWORD = "browser-test-password"
r = subprocess.run([churn, "users", "add", "ana", "--role", "analyst", "--password-stdin", "--data-dir", data_dir],
                   input=PASSWORD + "\n", capture_output=True, text=True)
check(r.returncode == 0, f"churn users add failed: {r.stderr}")

server = subprocess.Popen([churn, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--model", model],
                          stdout=subprocess.PIPE, stderr=open(os.path.join(work, "serve.log"), "w"), text=True)
line = server.stdout.readline()
m = re.search(r"churn serve listening on (http://\S+)", line)
if m is None:
    server.kill()
check(m is not None, f"churn serve did not start: {line!r}")
base = m.group(1)

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
    options.add_argument(arg)
# Chromium keeps its own temporary files in the work directory, removed with it.
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver", env={**os.environ, "TMPDIR": work}), options=options)
# A wait's condition reads an element the page may re-render between finding it and reading it
# (Chromium: "stale element", or "Node with given id does not belong to the document"): that try
# counts as not yet, and the next poll finds the new element. A condition never met still times out.
wait = WebDriverWait(driver, 120, ignored_exceptions=(StaleElementReferenceException, WebDriverException))
errors = []
try:


    def console_errors():
        try:
            return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        except Exception:
            return []


    def upload(path, sheet=None, name="run"):
        driver.get(base + "/")
        driver.find_element(By.ID, "file").send_keys(path)
        if sheet:
            driver.find_element(By.ID, "sheet").send_keys(sheet)
        driver.save_screenshot(os.path.join(shots, f"{name}-upload.png"))
        driver.find_element(By.ID, "upload-button").click()
        wait.until(EC.url_matches(r"/runs/\d+$"))
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#health-chart svg.chart")))
        run_id = driver.current_url.rsplit("/", 1)[1]
        status = driver.find_element(By.ID, "run").get_attribute("data-status")
        check(status == "succeeded", f"{name}: run {run_id} is {status}")
        bars = driver.find_elements(By.CSS_SELECTOR, "#health-chart svg.chart rect.bar")
        check(len(bars) == 10, f"{name}: {len(bars)} health bars, expected 10")
        counts = [int(b.get_attribute("data-count")) for b in bars]
        check(sum(counts) > 0 and any(float(b.get_attribute("height")) > 0 for b in bars), f"{name}: the bars are empty")
        check(all(b.size["height"] >= 0 and b.is_displayed() for b in bars), f"{name}: bars not drawn")
        slices = driver.find_elements(By.CSS_SELECTOR, "#risk-chart svg.pie .slice")
        check(len(slices) >= 1 and all(s.is_displayed() for s in slices), f"{name}: no pie slices drawn")
        check(sum(int(s.get_attribute("data-count")) for s in slices) == sum(counts), f"{name}: pie and bars disagree")
        rows = driver.find_elements(By.CSS_SELECTOR, "#top-table tbody tr.top-row")
        shown = [(r.get_attribute("data-id"), r.find_element(By.CSS_SELECTOR, "td.prob").text,
                  r.find_element(By.CSS_SELECTOR, ".badge").text) for r in rows[:5]]
        driver.save_screenshot(os.path.join(shots, f"{name}-run.png"))
        return run_id, shown


    # Signing in: a page sends the visitor to the form; a wrong password is refused; the right one lands on the page.
    driver.get(base + "/runs")
    wait.until(EC.url_contains("/login"))
    check(driver.find_elements(By.NAME, "username") and driver.find_elements(By.NAME, "password"), "no sign-in form")
    driver.save_screenshot(os.path.join(shots, "login.png"))
    driver.find_element(By.NAME, "username").send_keys("ana")
    driver.find_element(By.NAME, "password").send_keys("not the password")
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "p.error")))
    check("Wrong user name or password" in driver.find_element(By.CSS_SELECTOR, "p.error").text, "no refusal message")
    console_errors()  # drains the log: the refused sign-in's 401 is expected
    driver.find_element(By.NAME, "username").send_keys("ana")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
    wait.until(EC.url_matches(r"/runs$"))
    check("ana (analyst)" in driver.find_element(By.ID, "signed-in-as").text, "the page does not say who is signed in")
    session = [c for c in driver.get_cookies() if c["name"] == "churn_session"]
    check(len(session) == 1 and session[0].get("httpOnly") and session[0].get("sameSite") in ("Lax", "Strict"),
          f"session cookie not HttpOnly/SameSite: {session}")

    csv_run, csv_top = upload(sample, name="csv")
    expected = cli_top5(sample)
    check(csv_top == expected, f"CSV top 5 differs from churn score's summary:\n page {csv_top}\n CLI  {expected}")

    xlsx_run, xlsx_top = upload(xlsx, sheet="Customers", name="xlsx")
    expected_x = cli_top5(xlsx, "--sheet", "Customers")
    check(xlsx_top == expected_x, f"XLSX top 5 differs from churn score's summary:\n page {xlsx_top}\n CLI  {expected_x}")

    # Re-rank by probability: a new run whose top table is in descending probability.
    driver.get(f"{base}/runs/{csv_run}")
    Select(driver.find_element(By.ID, "rerank-by")).select_by_value("risk")
    driver.find_element(By.ID, "rerank").click()
    wait.until(lambda d: re.search(r"/runs/(\d+)$", d.current_url) and not d.current_url.endswith(f"/runs/{csv_run}"))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#top-table td.prob")))
    probs = [float(td.text) for td in driver.find_elements(By.CSS_SELECTOR, "#top-table td.prob")]
    check(len(probs) >= 5 and probs == sorted(probs, reverse=True), f"re-ranked top table not by probability: {probs}")
    check("churn probability" in driver.find_element(By.ID, "top").text, "the re-ranked run does not say how it ranks")
    driver.save_screenshot(os.path.join(shots, "reranked.png"))

    # The customers table, riskiest first.
    driver.get(f"{base}/runs/{csv_run}/customers?sort=risk&risk=high")
    rows = driver.find_elements(By.CSS_SELECTOR, "#customer-table tbody tr")
    check(len(rows) > 0, "no customers listed")
    check(all("High" in r.text for r in rows), "the High filter let other levels through")
    driver.save_screenshot(os.path.join(shots, "customers.png"))

    # Health range and action filters, set through the form's controls, around the first row.
    driver.get(f"{base}/runs/{csv_run}/customers")
    first = driver.find_elements(By.CSS_SELECTOR, "#customer-table tbody tr")[0].find_elements(By.TAG_NAME, "td")
    low, high, action = max(0, int(first[4].text) - 10), min(100, int(first[4].text) + 10), first[6].text
    form = driver.find_element(By.ID, "customer-filters")
    form.find_element(By.NAME, "health_min").send_keys(str(low))
    form.find_element(By.NAME, "health_max").send_keys(str(high))
    options = [o for o in form.find_elements(By.CSS_SELECTOR, "select[name=intervention] option") if o.get_attribute("value") == action]
    check(len(options) == 1, f"the action filter does not offer {action!r}")
    options[0].click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.url_contains(f"health_min={low}"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#customer-table tbody tr")
    check(len(rows) > 0, f"the health and action filters left no customers at {driver.current_url}: {driver.find_element(By.TAG_NAME, 'main').text[:400]}")
    healths = [int(r.find_elements(By.TAG_NAME, "td")[4].text) for r in rows]
    check(all(low <= h <= high for h in healths), f"health filter {low}-{high} let through {healths}")
    check(all(r.find_elements(By.TAG_NAME, "td")[6].text == action for r in rows), "the action filter let other actions through")
    driver.save_screenshot(os.path.join(shots, "customers-filtered.png"))

    # A category filter: pick a value of the first categorical feature's select; every shown row has it.
    driver.get(f"{base}/runs/{csv_run}/customers")
    form = driver.find_element(By.ID, "customer-filters")
    selects = form.find_elements(By.CSS_SELECTOR, "select.category-filter")
    check(len(selects) > 0, "the customers page offers no category filter")
    feature = selects[0].get_attribute("name")[len("cat."):]
    shown = [c.text for c in driver.find_elements(By.CSS_SELECTOR, f'#customer-table td.category[data-feature="{feature}"]')]
    check(len(shown) > 0, f"the customers table shows no {feature} column")
    value = shown[0]
    options = [o for o in selects[0].find_elements(By.TAG_NAME, "option") if o.get_attribute("value") == value]
    check(len(options) == 1, f"the {feature} filter does not offer {value!r}")
    options[0].click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.url_contains(f"cat.{feature}="))
    cells = driver.find_elements(By.CSS_SELECTOR, f'#customer-table td.category[data-feature="{feature}"]')
    check(len(cells) > 0, f"the {feature}={value} filter left no customers at {driver.current_url}")
    check(all(c.text == value for c in cells), f"the {feature}={value} filter let through {sorted(set(c.text for c in cells))}")
    check(len(cells) == len(driver.find_elements(By.CSS_SELECTOR, "#customer-table tbody tr")), "a row has no category value")
    driver.save_screenshot(os.path.join(shots, "customers-category.png"))

    # A customer and the offer modal.
    driver.get(f"{base}/runs/{csv_run}")
    driver.find_element(By.CSS_SELECTOR, "#top-table a.customer-link").click()
    wait.until(EC.presence_of_element_located((By.ID, "open-offer")))
    customer_id = driver.find_element(By.ID, "customer").get_attribute("data-customer")
    check(customer_id == csv_top[0][0], f"opened {customer_id}, expected {csv_top[0][0]}")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#customer-history svg.sparkline")) == 2, "no sparklines")
    driver.find_element(By.ID, "open-offer").click()
    modal = wait.until(EC.visibility_of_element_located((By.ID, "offer-modal")))
    check(modal.get_attribute("open") is not None, "the offer modal did not open")
    subject = driver.find_element(By.ID, "offer-subject")
    check(len(subject.get_attribute("value")) > 5, "the draft has no subject")
    check(len(driver.find_element(By.ID, "offer-body").get_attribute("value")) > 50, "the draft has no body")
    driver.save_screenshot(os.path.join(shots, "offer-modal.png"))
    subject.clear()
    subject.send_keys("Browser test offer")
    driver.find_element(By.ID, "offer-save").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "offers"), "Browser test offer"))
    check("draft" in driver.find_element(By.ID, "offers").text, "the saved offer is not a draft in the outbox")
    driver.save_screenshot(os.path.join(shots, "customer.png"))
    # Send the saved draft: without an SMTP server it is queued in the outbox.
    driver.find_element(By.ID, "open-offer").click()
    wait.until(EC.visibility_of_element_located((By.ID, "offer-modal")))
    driver.find_element(By.ID, "offer-send").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "offers"), "queued"))
    driver.get(base + "/outbox")
    outbox_rows = driver.find_elements(By.CSS_SELECTOR, "#outbox tbody tr")
    check(len(outbox_rows) == 1 and customer_id in outbox_rows[0].text and "queued" in outbox_rows[0].text,
          f"the outbox page does not show the queued offer: {[r.text for r in outbox_rows]}")
    driver.save_screenshot(os.path.join(shots, "outbox.png"))

    driver.get(base + "/runs")
    check(len(driver.find_elements(By.CSS_SELECTOR, "table.runs tbody tr")) == 3, "the runs page does not list all three runs")
    driver.save_screenshot(os.path.join(shots, "runs.png"))

    # Output safety: hostile ids are shown as text, no dialog opens, the CSV holds the formula as text.
    hostile_run, hostile_top = upload(hostile, name="hostile")
    shown_ids = [row[0] for row in hostile_top]
    check(XSS_ID in shown_ids and FORMULA_ID in shown_ids, f"hostile ids not shown as text: {shown_ids}")
    check(driver.find_elements(By.CSS_SELECTOR, "#top-table img") == [], "an uploaded id became an <img> element")
    driver.get(f"{base}/runs/{hostile_run}/customers")
    check(XSS_ID in driver.find_element(By.ID, "customer-table").text, "the customers table does not show the id as text")
    check(driver.find_elements(By.CSS_SELECTOR, "#customer-table img") == [], "an uploaded id became an <img> element")
    time.sleep(0.5)
    try:
        alert = driver.switch_to.alert
        text = alert.text
        alert.dismiss()
        check(False, f"a dialog opened: {text!r}")
    except Exception as e:
        check(type(e).__name__ == "NoAlertPresentException", f"unexpected: {e!r}")
    driver.save_screenshot(os.path.join(shots, "hostile-ids.png"))
    import urllib.request
    req = urllib.request.Request(f"{base}/api/v1/runs/{hostile_run}/results.csv",
                                 headers={"Cookie": f"churn_session={session[0]['value']}"})
    results = list(csv.reader(urllib.request.urlopen(req).read().decode().splitlines()))
    cells = [row[0] for row in results[1:]]
    check("'" + FORMULA_ID in cells and FORMULA_ID not in cells, f"the formula cell is not neutralised: {cells}")
    check(XSS_ID in cells, "the markup id is not kept as it was in the CSV")

    # Signing out ends the session: the next page sends the visitor to the form again.
    driver.find_element(By.CSS_SELECTOR, "#logout-form button").click()
    wait.until(EC.url_contains("/login"))
    driver.get(base + "/runs")
    wait.until(EC.url_contains("/login"))
    errors = console_errors()
    check(errors == [], f"browser console errors: {errors}")

finally:
    driver.quit()
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
check(server.returncode == 0, f"churn serve did not exit 0 on SIGTERM ({server.returncode})")
print(f"browser checks: {checks} passed (screenshots in {shots})")
# Passed: the scratch files go (a failure above leaves them, with serve.log, for a look).
if os.environ.get("CHURN_KEEP_TEST_FILES") != "1":
    shutil.rmtree(work, ignore_errors=True)
