"""The probe `--verify` runs with the user's interpreter: import modules, load apps, dump OpenAPI.

Standard library only, and nothing from fastapi_fixer: it runs as a script
(`python verify_probe.py REQUEST OUTPUT`) under whatever Python the user's project uses.
REQUEST is a JSON file: {"root": folder, "sys_path": [folders], "modules": [names],
"apps": ["module:attr", ...]}. Each finished item is appended to OUTPUT as one JSON line as soon
as it is done, after a `{"start": item}` line, so a module that kills or hangs the interpreter is
known to the caller (who runs the rest again without it).

A module line: {"module": name, "ok": bool, "error": one line, "frames": project files of the
traceback (relative to root), "file": where it was imported from (relative, or absolute when
outside root)}. An app line: {"app": spec, "ok": bool, "error": one line, "openapi": document or
null (the app has no `openapi()`)}.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    line = f"{name}: {text}" if text else name
    return line if len(line) <= 300 else line[:297] + "..."


def _relative(path: str, root: str) -> str:
    real = os.path.realpath(path)
    if real == root or real.startswith(root + os.sep):
        return os.path.relpath(real, root).replace(os.sep, "/")
    return real


def _frames(exc: BaseException, root: str) -> list[str]:
    """The project files the traceback went through (the import chain, then the raising code)."""
    found: list[str] = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if not frame.filename or frame.filename.startswith("<"):
            continue
        rel = _relative(frame.filename, root)
        if not os.path.isabs(rel) and rel not in found:
            found.append(rel)
    # `cannot import name 'x' from 'pkg.mod' (/root/pkg/mod.py)`: the module that lacks the name
    where = getattr(exc, "path", None)
    if isinstance(where, str) and where:
        rel = _relative(where, root)
        if not os.path.isabs(rel) and rel not in found:
            found.append(rel)
    return found


def _import(name: str, root: str) -> dict:
    try:
        module = importlib.import_module(name)
    except BaseException as exc:  # SystemExit, KeyboardInterrupt from module code too
        return {"module": name, "ok": False, "error": _one_line(exc), "frames": _frames(exc, root)}
    where = getattr(module, "__file__", None)
    return {"module": name, "ok": True, "file": _relative(where, root) if where else None}


def _normalised(value: object) -> object:
    return json.loads(json.dumps(value, sort_keys=True, default=repr))


def _app(spec: str, root: str) -> dict:
    module_name, _, attribute = spec.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in attribute.split("."):
            obj = getattr(obj, part)
    except BaseException as exc:
        return {"app": spec, "ok": False, "error": _one_line(exc), "frames": _frames(exc, root)}
    openapi = getattr(obj, "openapi", None)
    if not callable(openapi):
        return {"app": spec, "ok": True, "openapi": None}
    try:
        document = _normalised(openapi())
    except BaseException as exc:
        return {
            "app": spec,
            "ok": False,
            "error": f"openapi(): {_one_line(exc)}",
            "frames": _frames(exc, root),
        }
    return {"app": spec, "ok": True, "openapi": document}


def main(request_path: str, output_path: str) -> int:
    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    root = os.path.realpath(request["root"])
    # run as a script, its folder (fastapi_fixer/apply: git.py, pr.py...) came first on sys.path
    here = os.path.dirname(os.path.realpath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != here]
    for folder in reversed(request["sys_path"]):
        sys.path.insert(0, folder)
    # the project's code sees the command line of `python -c "import app"`, not the probe's two
    # file arguments: a module that parses `sys.argv` at import (argparse in a settings module)
    # would reject them and exit
    sys.argv[:] = ["-c"]
    os.chdir(root)
    with open(output_path, "a", encoding="utf-8") as out:

        def emit(record: dict) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()

        emit({"python": sys.version.split()[0], "executable": sys.executable})
        for name in request["modules"]:
            emit({"start": name})
            emit(_import(name, root))
        for spec in request["apps"]:
            emit({"start": spec})
            emit(_app(spec, root))
        emit({"done": True})
    return 0


if __name__ == "__main__":
    os._exit(main(sys.argv[1], sys.argv[2]))  # no atexit hooks or threads of the imported code
