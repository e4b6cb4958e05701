"""What ``python -m steepest`` runs: the demo and the benchmark.

:mod:`steepest.__main__` is the thin entry that parses the command and calls
``run`` of :mod:`steepest._cli.demo` or :mod:`steepest._cli.bench`. This
package sits at the top of the import order: it imports the library, and
nothing in the library imports it.
"""
