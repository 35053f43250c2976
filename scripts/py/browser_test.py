#!/usr/bin/env python3
"""Browser end-to-end test of the dashboard: a real `churn serve`, headless Chromium driven by Selenium.

Uploads the sample CSV and an XLSX through the upload page, waits for each run, checks that the
charts are drawn and that the top-5 table equals `churn score`'s summary for the same file, opens a
customer and the retention-offer modal, saves a draft, and saves screenshots.

usage: browser_test.py CHURN_BINARY SCREENSHOT_DIR
"""
import csv
import json
import os
import re
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
from selenium.webdriver.support.ui import WebDriverWait

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

server = subprocess.Popen([churn, "serve", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(work, "data"), "--model", model],
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
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 120)
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


    csv_run, csv_top = upload(sample, name="csv")
    expected = cli_top5(sample)
    check(csv_top == expected, f"CSV top 5 differs from churn score's summary:\n page {csv_top}\n CLI  {expected}")

    xlsx_run, xlsx_top = upload(xlsx, sheet="Customers", name="xlsx")
    expected_x = cli_top5(xlsx, "--sheet", "Customers")
    check(xlsx_top == expected_x, f"XLSX top 5 differs from churn score's summary:\n page {xlsx_top}\n CLI  {expected_x}")

    # The customers table, riskiest first.
    driver.get(f"{base}/runs/{csv_run}/customers?sort=risk&risk=high")
    rows = driver.find_elements(By.CSS_SELECTOR, "#customer-table tbody tr")
    check(len(rows) > 0, "no customers listed")
    check(all("High" in r.text for r in rows), "the High filter let other levels through")
    driver.save_screenshot(os.path.join(shots, "customers.png"))

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
    driver.save_screenshot(os.path.join(shots, "customer.png"))

    driver.get(base + "/runs")
    check(len(driver.find_elements(By.CSS_SELECTOR, "table.runs tbody tr")) == 2, "the runs page does not list both runs")
    driver.save_screenshot(os.path.join(shots, "runs.png"))
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
