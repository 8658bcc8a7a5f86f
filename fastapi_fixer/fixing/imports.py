"""Adding and removing imports in a LibCST module.

(Interim: LibCST's import visitors; to be replaced by direct edits of the import statements
that place a new import in its isort section, see issue 14.)"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from fastapi_fixer.fixing.project_style import ProjectStyle


def add_imports(
    module: cst.Module,
    imports: Iterable[tuple[str, str | None]],
    style: ProjectStyle | None = None,
) -> cst.Module:
    """`(module, None)` adds `import module`; `(module, name)` adds `from module import name`;
    what the module already imports is left alone."""
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    context = CodemodContext()
    for source, name in imports:
        if name is None:
            AddImportsVisitor.add_needed_import(context, source)
        else:
            AddImportsVisitor.add_needed_import(context, source, name)
    return AddImportsVisitor(context).transform_module(module)


def remove_unused_imports(
    module: cst.Module, candidates: Iterable[tuple[str, str | None, str | None]]
) -> cst.Module:
    """Remove each `(module, name, asname)` import (`name` None: `import module`) when what it
    binds is no longer used in the module; nothing else."""
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import RemoveImportsVisitor

    context = CodemodContext()
    for source, name, asname in candidates:
        RemoveImportsVisitor.remove_unused_import(context, source, name, asname)
    return RemoveImportsVisitor(context).transform_module(module)
