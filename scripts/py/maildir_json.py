#!/usr/bin/env python3
"""Prints the messages of a Maildir as JSON, decoded by Python's own e-mail package (an independent
reader for churn's offer tests): raw and decoded headers, and each part's type, charset, transfer
encoding and decoded text."""
import email
import email.header
import email.policy
import json
import mailbox
import sys

out = []
box = mailbox.Maildir(sys.argv[1], create=False)
for key in sorted(box.keys()):
    with box.get_file(key) as f:
        raw = f.read()          # the bytes as received, not re-generated
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in parsed.walk():
        if part.is_multipart():
            continue
        parts.append({
            "type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "encoding": part.get("Content-Transfer-Encoding"),
            "text": part.get_content(),
        })
    raw_headers = email.message_from_bytes(raw, policy=email.policy.compat32)
    out.append({
        "raw": {k: str(v) for k, v in raw_headers.items()},
        "subject": str(parsed["Subject"]),
        "from": str(parsed["From"]),
        "to": str(parsed["To"]),
        "date": str(parsed["Date"]),
        "date_unix": parsed["Date"].datetime.timestamp() if parsed["Date"] else None,
        "message_id": str(parsed["Message-ID"]),
        "content_type": parsed.get_content_type(),
        "parts": parts,
        "seven_bit": all(b < 128 for b in raw),
    })
print(json.dumps(out))
