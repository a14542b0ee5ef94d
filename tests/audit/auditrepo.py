"""Files of the polyglot test repository (tests/audit/conftest.py)."""

from __future__ import annotations

PY_APP = '''"""The app."""

import os
from collections import (
    OrderedDict,
)


# Adds numbers.
def add(a, b):
    total = a + b
    return total


@staticmethod
def sub(a, b):
    diff = a - b
    return diff


class Store:
    """Keeps things."""

    def __init__(self):
        self.items = OrderedDict()
        self.path = os.getcwd()

    def put(self, key, value):
        if key in self.items:
            raise KeyError(key)
        self.items[key] = value
        return value


def main():
    store = Store()
    store.put("a", add(1, 2))
    print(store.items)
    return 0
'''

JS_UTIL = """import fs from "fs";
const path = require("path");

// Reads a file.
function read(name) {
  const full = path.join("/data", name);
  return fs.readFileSync(full, "utf8");
}

function write(name, text) {
  if (!name) {
    throw new Error("no name");
  }
  fs.writeFileSync(name, text);
}

export { read, write };
"""

GO_MAIN = """package main

import "fmt"

func double(x int) int {
\ty := x * 2
\treturn y
}

func main() {
\tfmt.Println(double(2))
}
"""
