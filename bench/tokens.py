#!/usr/bin/python3
"""Token helpers for bench/run.sh. Tokens themselves come from `portcullis token mint`.

  tokens.py forge TOKEN COUNT      prints COUNT distinct tokens made from TOKEN by changing three
                                   characters in the middle of its signature, so none of them
                                   carries a valid signature and no two are equal
  tokens.py seconds-left FILE      prints exp minus now for the first token of FILE, or -1
"""

import base64
import json
import sys
import time

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def forge(token, count):
    header, payload, signature = token.split(".")
    if len(signature) < 8:
        raise SystemExit(f"tokens.py: the signature of {token[:40]}... is too short to alter")
    if count > len(ALPHABET) ** 3 - 1:
        raise SystemExit(f"tokens.py: at most {len(ALPHABET) ** 3 - 1} forgeries per token")
    # Middle characters carry only signature bits; the last character may carry padding bits
    # that a decoder ignores, so changing it might not change the signature.
    middle = len(signature) // 2
    original = signature[middle:middle + 3]
    made = 0
    variant = 0
    while made < count:
        replacement = (ALPHABET[variant % 64] + ALPHABET[(variant // 64) % 64] +
                       ALPHABET[(variant // 4096) % 64])
        variant += 1
        if replacement == original:
            continue
        altered = signature[:middle] + replacement + signature[middle + 3:]
        print(f"{header}.{payload}.{altered}")
        made += 1


def seconds_left(path):
    try:
        with open(path) as tokens:
            token = tokens.readline().strip()
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        print(int(claims["exp"]) - int(time.time()))
    except (OSError, IndexError, KeyError, ValueError):
        print(-1)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "forge":
        forge(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "seconds-left":
        seconds_left(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
