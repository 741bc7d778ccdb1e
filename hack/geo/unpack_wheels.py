#!/usr/bin/env python3
"""unpack_wheels.py: a pip-less wheel install for the bare runtime check.

    python3 unpack_wheels.py TARGET WHEEL...

Unpacks each wheel into TARGET (the way `pip install --target` lays out a
wheel whose contents are all purelib/platlib), after verifying it like an
installer does: every archive member except RECORD is listed in RECORD with a
matching sha256 (urlsafe base64, no padding) and size, and RECORD names no
missing file. Exec bits follow pip's rule (regular file with any x bit in the
zip's external_attr -> 0755, else 0644). Standard library only.
"""

import base64
import csv
import hashlib
import io
import os
import sys
import zipfile


def verify_and_unpack(wheel, target):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD") and n.count("/") == 1)
        rows = {r[0]: r for r in csv.reader(io.StringIO(zf.read(record_name).decode())) if r}
        for info in zf.infolist():
            if info.is_dir():
                continue
            data = zf.read(info)
            if info.filename != record_name:
                row = rows.get(info.filename)
                if row is None:
                    raise SystemExit(f"{wheel}: {info.filename} not in RECORD")
                digest = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                if row[1] != digest or int(row[2]) != len(data):
                    raise SystemExit(f"{wheel}: {info.filename}: RECORD says {row[1]} {row[2]}, file is {digest} {len(data)}")
            dest = os.path.join(target, info.filename)
            if not os.path.abspath(dest).startswith(os.path.abspath(target) + os.sep):
                raise SystemExit(f"{wheel}: unsafe path {info.filename}")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(data)
            mode = info.external_attr >> 16
            os.chmod(dest, 0o755 if (mode & 0o170000) == 0o100000 and mode & 0o111 else 0o644)
        missing = set(rows) - set(names)
        if missing:
            raise SystemExit(f"{wheel}: RECORD lists missing files {sorted(missing)[:5]}")
    print(f"unpacked {os.path.basename(wheel)} ({len(names)} files)")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    target = sys.argv[1]
    os.makedirs(target, exist_ok=True)
    for wheel in sys.argv[2:]:
        verify_and_unpack(wheel, target)


if __name__ == "__main__":
    main()
