"""Prints each failed test of the .trx files under a folder: its name, the start of its message and of its stack.

build/test.sh prints this last, so that a CI log cut to its tail still says which test failed and why.
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def head(text, lines):
    kept = (text or "").strip().splitlines()
    return kept[:lines] + (["    ..."] if len(kept) > lines else [])


count = 0
for trx in sorted(Path(sys.argv[1]).rglob("*.trx")):
    root = ET.parse(trx).getroot()
    classes = {test.get("id"): method.get("className", "")
               for test in root.iterfind(".//t:UnitTest", NS)
               for method in test.iterfind("t:TestMethod", NS)}
    for result in root.iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
            continue
        count += 1
        fixture = classes.get(result.get("testId"), "").rsplit(".", 1)[-1]
        print(f"FAILED {fixture + '.' if fixture else ''}{result.get('testName')} ({result.get('duration')}, {trx.name})")
        info = result.find(".//t:ErrorInfo", NS)
        if info is not None:
            for line in head(info.findtext("t:Message", default="", namespaces=NS), 20):
                print(f"  {line}")
            for line in head(info.findtext("t:StackTrace", default="", namespaces=NS), 8):
                print(f"  {line}")
print(f"{count} failed test(s) listed above" if count else "no failed test in the .trx files")
