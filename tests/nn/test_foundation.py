"""The model math is a foundation: it loads and runs without the extension.

Twin: ``python/steepest/nn/__init__.py`` (and the other foundations it stands
beside, ``_checks.py``, ``_schedule_base.py``, ``_plateau.py``).
"""

from __future__ import annotations

import subprocess
import sys


def test_foundations_import_nothing_native() -> None:
    code = (
        "import sys; sys.modules['steepest._core'] = None\n"
        "import numpy as np\n"
        "from steepest import _checks, _plateau, _schedule_base\n"
        "from steepest.nn import linear, mlp\n"
        "rng = np.random.default_rng(0)\n"
        "params = mlp.init_params('he', 3, (4,), 1, rng=rng)\n"
        "X = rng.normal(size=(5, 3))\n"
        "assert mlp.decision_function(params, X, activation='relu').shape[0] == 5\n"
        "assert linear.init_params('zeros', 3, rng=rng)[0].shape == (3,)\n"
        "assert _plateau.ReduceLROnPlateau(lr=1.0).update(1.0) == 1.0\n"
        "assert sys.modules['steepest._core'] is None\n"
        "loaded = {m for m in sys.modules if m.startswith('steepest.')}\n"
        "native = ('steepest.models', 'steepest.optim', 'steepest.torch',"
        " 'steepest.functional', 'steepest.schedules')\n"
        "assert not any(m.startswith(native) for m in loaded), loaded\n"
        "assert 'sklearn' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
