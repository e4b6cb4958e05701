"""One table of optimizer cases, used by parity, validation and convergence tests.

Each case names a functional step, the state arrays it needs (in positional
order after ``param, grad``; None where an optional slot is unused), and the
hyperparameters; the class and its torch-named keywords follow from them. Together they cover every option combination the kernels
have as separate instantiations. Each row also carries ``known``: its params
after three steps from ``KNOWN_P0`` with ``KNOWN_GRADS`` (state starting at
zero, Adagrad's at the class's ``initial_accumulator_value``), worked out by
hand from torch.optim's formulas in ``tests/optim/test_reference_known.py``
(whose failure message gives the new literal when a row changes) and checked
there on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from steepest._rules import RULES

# The spec row of each step: its class (under torch's name) and whether it
# takes ``step=`` come from there, so a new rule needs only its rows below.
RULE_OF = {r.step: r for r in RULES}
CLASSES = {step: r.cls for step, r in RULE_OF.items()}
# The class's pair keywords and the functional keywords they split into, with
# torch's defaults for a half given.
PAIRS = {"betas": (("beta1", 0.9), ("beta2", 0.999)),
         "etas": (("etaminus", 0.5), ("etaplus", 1.2)),
         "step_sizes": (("step_size_min", 1e-6), ("step_size_max", 50.0))}  # fmt: skip


@dataclass(frozen=True)
class Case:
    id: str
    fn: str  # name in steepest.functional
    states: tuple[str | None, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    known: tuple[float, ...] = ()  # params after KNOWN_GRADS, by hand
    init: float = 0.0  # Adagrad's initial accumulator, given to the class
    # Derived from the above: whether the step takes ``step=``, the class in
    # steepest (for class-level tests) and its keywords, torch's names:
    # PAIRS (``betas`` for ``beta1, beta2``, ...), ``initial_accumulator_value``
    # for init.
    uses_step: bool = field(init=False)
    cls: str = field(init=False)
    cls_kwargs: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        halves = {name for pair in PAIRS.values() for name, _ in pair}
        kw = {k: x for k, x in self.kwargs.items() if k not in halves}
        for pair, keys in PAIRS.items():
            if any(name in self.kwargs for name, _ in keys):
                kw[pair] = tuple(self.kwargs.get(name, d) for name, d in keys)
        if self.init:
            kw["initial_accumulator_value"] = self.init
        object.__setattr__(self, "uses_step", RULE_OF[self.fn].takes_step)
        object.__setattr__(self, "cls", CLASSES[self.fn])
        object.__setattr__(self, "cls_kwargs", kw)


# Exact in float32 and float64, so both dtypes start from the same numbers. The
# last element's gradient falls from 4 to 1/64: its second moment shrinks, which
# is where AMSGrad differs from Adam; the third has a zero first gradient.
KNOWN_P0 = [1.0, -2.0, 0.5, 3.0, -0.25]
KNOWN_GRADS = [
    [0.25, -1.0, 0.0, 2.0, 4.0],
    [-0.75, 0.5, 0.25, 1.5, 0.015625],
    [0.125, 1.5, -0.5, -3.0, -0.03125],
]


CASES = [
    Case("sgd", "sgd_step", (), {"lr": 0.05},
         known=(1.01875, -2.05, 0.5125, 2.9749999999999996, -0.44921875)),
    Case("sgd-wd-max", "sgd_step", (), {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
         known=(0.9663876875, -1.919776, 0.47997493750000003, 2.978852125,
                -0.049048874999999964)),
    Case("momentum", "sgd_step", ("momentum_buffer",), {"lr": 0.05, "momentum": 0.9},
         known=(1.031125, -1.9869999999999999, 0.50125, 2.7365, -0.7919218750000001)),
    Case("momentum-damp-wd", "sgd_step", ("momentum_buffer",),
         {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
         known=(1.0092632234075, -1.9455719437525, 0.499693456219375, 2.72729372506625,
                -0.7910868424534375)),
    Case("nesterov", "sgd_step", ("momentum_buffer",),
         {"lr": 0.05, "momentum": 0.9, "nesterov": True},
         known=(1.0467625, -2.0383, 0.513625, 2.73785, -0.9369484375)),
    Case("nesterov-wd", "sgd_step", ("momentum_buffer",),
         {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05},
         known=(1.0254153532499999, -2.01348379525, 0.5056487794375001, 2.740885031625,
                -0.8306264765937501)),
    Case("adagrad", "adagrad_step", ("state_sum",), {"lr": 0.1},
         known=(0.979250953646142, -2.0248997321254376, 0.4894427191239916, 2.9168221279651703,
                -0.3496094018179288)),
    Case("adagrad-decay-wd-max", "adagrad_step", ("state_sum",),
         {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "eps": 1e-6, "maximize": True},
         init=0.1,
         known=(0.9544093685638237, -1.9479866739975487, 0.45618414079467345, 3.071616965944054,
                -0.1499511390417276)),
    Case("rmsprop", "rmsprop_step", ("square_avg",), {"lr": 0.01},
         known=(0.9792140496348164, -2.025337508672089, 0.4895323201750918, 2.916887670627276,
                -0.3496034766184012)),
    Case("rmsprop-centered", "rmsprop_step", ("square_avg", None, "grad_avg"),
         {"lr": 0.01, "centered": True},
         known=(0.9788855642529688, -2.024996647729208, 0.48912019449722854, 2.915793281515339,
                -0.35010536769144573)),
    Case("rmsprop-momentum-wd", "rmsprop_step", ("square_avg", "momentum_buffer"),
         {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.01, "alpha": 0.9},
         known=(0.9656439032658691, -1.9670164794397018, 0.38265726767224095, 2.901801897523824,
                -0.33559873123136325)),
    Case("rmsprop-centered-momentum-max", "rmsprop_step",
         ("square_avg", "momentum_buffer", "grad_avg"),
         {"lr": 0.01, "momentum": 0.5, "centered": True, "maximize": True},
         known=(1.048938092486003, -2.0279087529899593, 0.5611316760637199, 3.189978838377393,
                -0.07431951640937116)),
    Case("adam", "adam_step", ("m", "v"), {"lr": 0.01},
         known=(0.9977168805218888, -1.9912305275989592, 0.4957014937827727, 2.980223340805161,
                -0.27188150981242976)),
    Case("adam-l2-max", "adam_step", ("m", "v"),
         {"lr": 0.01, "weight_decay": 0.1, "maximize": True, "beta1": 0.8, "beta2": 0.99},
         known=(0.9987689413031144, -2.003375326080567, 0.491029799457765, 3.017396586080652,
                -0.2290135024992678)),
    Case("amsgrad", "adam_step", ("m", "v", "v_max"), {"lr": 0.01, "amsgrad": True},
         known=(0.9977168805218888, -1.9912305275989592, 0.4957014937827727, 2.980223340805161,
                -0.2718732403190014)),
    Case("amsgrad-l2", "adam_step", ("m", "v", "v_max"),
         {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05},
         known=(0.995943448790693, -1.9892972788767322, 0.48440517553201334, 2.979544387186658,
                -0.27180887788224134)),
    Case("adamw", "adamw_step", ("m", "v"), {"lr": 0.01},
         known=(0.9974184162309844, -1.9906328538339757, 0.4955522529190542, 2.9793264132772266,
                -0.2718038444508335)),
    Case("adamw-amsgrad", "adamw_step", ("m", "v", "v_max"),
         {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
         known=(0.9947349276228445, -1.9852591789691223, 0.4942104346505875, 2.9712621535558204,
                -0.27109727376981835)),
    Case("adamax", "adamax_step", ("m", "u"), {"lr": 0.01},
         known=(0.9953956393800707, -1.9906970576182348, 0.496766362570402, 2.9813439970326,
                -0.2677411927765624)),
    Case("adamax-l2-eps-max", "adamax_step", ("m", "u"),
         {"lr": 0.01, "weight_decay": 0.1, "eps": 1e-3, "maximize": True, "beta1": 0.8,
          "beta2": 0.99},
         known=(1.0024447164441084, -2.005346706464489, 0.49149183496534465, 3.016879540006257,
                -0.23275856316807683)),
    Case("adadelta", "adadelta_step", ("square_avg", "acc_delta"), {"lr": 1.0},
         known=(1.0000944699373813, -2.002921806696688, 0.5008783579032245, 2.998167951179082,
                -0.2531428545100315)),
    Case("adadelta-l2-rho-max", "adadelta_step", ("square_avg", "acc_delta"),
         {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1, "eps": 1e-3, "maximize": True},
         known=(0.992476041644752, -1.963316343182825, 0.4746236948324166, 3.0114653598943018,
                -0.22733029631246277)),
    # RAdam's first steps are un-rectified (rho_t > 5 from t = 6): the parity
    # tests' 21 steps cross over, test_reference_known's RAdam run checks both
    Case("radam", "radam_step", ("m", "v"), {"lr": 0.01},
         known=(1.0015454457176152, -1.9921013789085258, 0.4996989706739173, 2.9627422800543792,
                -0.3209219023111283)),
    Case("radam-l2-max", "radam_step", ("m", "v"),
         {"lr": 0.01, "weight_decay": 0.1, "maximize": True, "beta1": 0.8, "beta2": 0.99},
         known=(0.9951531834016394, -2.000492524590164, 0.49865966290983604, 3.026063264344262,
                -0.18102992622950817)),
    Case("radam-decoupled", "radam_step", ("m", "v"),
         {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
         known=(0.9985506790597204, -1.9861294721716836, 0.498201785963391, 2.953808625475432,
                -0.3200736624558652)),
    Case("nadam", "nadam_step", ("m", "v", "mu_product"), {"lr": 0.01},
         known=(0.9978668253071468, -2.0024418732585385, 0.4993184067821254, 2.9907136381570987,
                -0.2618097758600132)),
    Case("nadam-l2-psi-max", "nadam_step", ("m", "v", "mu_product"),
         {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.5, "beta2": 0.9,
          "maximize": True},
         known=(1.0004327041600907, -1.995236343780946, 0.4894174526524234, 3.008664862884396,
                -0.2378615478837183)),
    Case("nadam-decoupled-eps", "nadam_step", ("m", "v", "mu_product"),
         {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True, "eps": 1e-3,
          "beta1": 0.5},
         known=(0.9672764039290302, -1.9716751390351737, 0.48671028548568684, 2.868433085248754,
                -0.30494175697693526)),
    # Rprop's step sizes start at lr (the class sets them; the step never reads lr).
    # The known gradients flip sign, keep it and start at zero, element by element;
    # the second row's bounds clamp both ways.
    Case("rprop", "rprop_step", ("prev", "step_size"), {"lr": 0.05},
         known=(0.9249999999999999, -1.9749999999999999, 0.45, 2.89, -0.36)),
    Case("rprop-etas-clamped-max", "rprop_step", ("prev", "step_size"),
         {"lr": 0.05, "etaminus": 0.25, "etaplus": 1.5, "step_size_min": 0.02,
          "step_size_max": 0.06, "maximize": True},
         known=(1.07, -2.03, 0.55, 3.11, -0.14)),
    # t0 = 0.5: ax copies p for two steps, then averages (mu = 1 / 1.5)
    Case("asgd-t0-decay-l2-max", "asgd_step", ("ax", "eta", "mu"),
         {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 0.5, "weight_decay": 0.1,
          "maximize": True},
         known=(0.9518088170194928, -1.890435412023127, 0.47265489344485423, 2.9339467397316774,
                -0.04734145086188616)),
    Case("asgd", "asgd_step", ("ax", "eta", "mu"), {"lr": 0.05},
         known=(1.0187348438825479, -2.0499697190151736, 0.5124924219413568, 2.9749555316400156,
                -0.4492130049318288)),
    # optax.lamb: one trust ratio over the row's five elements (one array)
    Case("lamb", "lamb_step", ("m", "v"), {"lr": 0.01},
         known=(1.006809114125658, -1.9933544139781765, 0.4967668114258592, 2.956929086583678,
                -0.31060526767502644)),
    Case("lamb-wd-max", "lamb_step", ("m", "v"),
         {"lr": 0.05, "weight_decay": 0.1, "maximize": True, "beta1": 0.8, "beta2": 0.99,
          "eps": 1e-3},
         known=(0.934149805072989, -1.9626376210912786, 0.5201774488958688, 3.0979824921039647,
                0.03939824378577904)),
    # Lion (optax.lion; torch.optim has none): the third element's first
    # interpolation is exactly 0, whose sign is 0; the last one's momentum
    # outweighs its third gradient, so the sign is not the gradient's.
    Case("lion", "lion_step", ("m",), {"lr": 0.01},
         known=(0.989970100298999, -2.009940100598998, 0.49998510014999953, 2.989910300898997,
                -0.27999220007599973)),
    Case("lion-betas-nowd-max", "lion_step", ("m",),
         {"lr": 0.01, "beta1": 0.5, "beta2": 0.9, "weight_decay": 0.0, "maximize": True},
         known=(1.01, -1.9899999999999998, 0.5, 3.01, -0.21999999999999997)),
    # AdaBelief (optax.adabelief; torch.optim has none)
    Case("adabelief", "adabelief_step", ("m", "s"), {"lr": 0.01},
         known=(0.9971806736394655, -1.9902419991166886, 0.4950889251304349, 2.977498391295325,
                -0.27422538467768837)),
    Case("adabelief-eps-betas-max", "adabelief_step", ("m", "s"),
         {"lr": 0.01, "beta1": 0.8, "beta2": 0.9, "eps": 1e-3, "eps_root": 1e-4,
          "maximize": True},
         known=(1.0028035510166764, -2.009377547138585, 0.5051050903175762, 3.0249554787494364,
                -0.2238350648415306)),
    # Schedule-Free (the schedulefree package; torch.optim has none): z starts
    # at the param; the second rows warm up over two of the three steps, weigh
    # the average by t and lr_max, and decay at y
    Case("sgd-schedulefree", "sgd_schedulefree_step", ("z", "lr_max", "weight_sum"),
         {"lr": 0.1},
         known=(1.0225000000000002, -1.995, 0.5025, 2.815, -0.6498437500000002)),
    Case("sgd-schedulefree-warmup-wd-r", "sgd_schedulefree_step",
         ("z", "lr_max", "weight_sum"),
         {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.1, "warmup_steps": 2, "r": 1.0,
          "weight_lr_power": 1.0},
         known=(1.0283797918181818, -2.0513200654545454, 0.4985175027272727, 2.892663307272727,
                -0.4412090445454545)),
    Case("adamw-schedulefree", "adamw_schedulefree_step", ("z", "v", "lr_max", "weight_sum"),
         {"lr": 0.01},
         known=(0.9983075637715475, -1.999981781331319, 0.49629727530045886, 2.9893814072259217,
                -0.25998452764676705)),
    Case("adamw-schedulefree-warmup-wd", "adamw_schedulefree_step",
         ("z", "v", "lr_max", "weight_sum"),
         {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3, "weight_decay": 0.1,
          "warmup_steps": 3, "r": 0.5},
         known=(1.0014791511914511, -2.0078001479304093, 0.501822956929348, 2.9961148854583084,
                -0.2528260597142023)),
]  # fmt: skip

CASE_IDS = [c.id for c in CASES]

# A per-param scalar of a rule's state (NAdam's mu_product, ASGD's eta and mu)
# is one 0-d float64 array per param, not an array shaped like it.
_SCALAR_SLOTS = {s.name: (r, s) for r in RULES for s in r.state if s.scalar}
SCALAR_STATE = frozenset(_SCALAR_SLOTS)
# Schedule-Free's z starts as a copy of its param
_FROM_PARAM = frozenset(s.name for r in RULES for s in r.state if s.from_param)


def new_state(
    name: str, like: Any, make: Any, kwargs: dict[str, Any] | None = None
) -> Any:
    """The state ``name`` for the param ``like``: ``make(like)`` for an array
    slot (for one that starts as its param, Schedule-Free's z, ``make`` is
    given it only for the dtype and the param's values are copied in when
    ``like`` is an array); for a scalar slot a 0-d float64 array where its
    rule starts it (under the rule's defaults updated by ``kwargs``: ASGD's
    eta starts at lr)."""
    if name in _FROM_PARAM and isinstance(like, np.ndarray):
        out = make(like)
        out[...] = like
        return out
    if name in _SCALAR_SLOTS:
        rule, slot = _SCALAR_SLOTS[name]
        hyper = {**rule.defaults(), **(kwargs or {})}
        return np.array(rule.initial_value(slot, hyper), np.float64)
    return make(like)


def _positional() -> dict[str, tuple[str, ...]]:
    # A step's state slots are the union of its rows' (each slot is used by some row).
    slots: dict[str, list[str | None]] = {}
    for case in CASES:
        known = slots.setdefault(case.fn, [])
        for i, name in enumerate(case.states):
            if i == len(known):
                known.append(name)
            elif name is not None:
                assert known[i] in (None, name), (case.id, known[i], name)
                known[i] = name
    out = {}
    for fn, names in slots.items():
        assert None not in names, (fn, names)
        out[fn] = ("param", "grad", *(n for n in names if n is not None))
    return out


# Positional array arguments of every step, in signature order.
POSITIONAL = _positional()
# Per step, the first row that uses every state slot of its step.
FULLEST = {fn: next(c for c in CASES if c.fn == fn and list(c.states) == list(names[2:]))
           for fn, names in POSITIONAL.items()}  # fmt: skip


def call_step(
    functional: Any,
    case: Case,
    param: Any,
    grad: Any,
    states: dict[str, Any],
    step: int,
    **extra: Any,
) -> bool:
    """Call ``case``'s step on ``functional`` with its states laid out positionally."""
    positional = [states[name] if name else None for name in case.states]
    kwargs = dict(case.kwargs, **extra)
    if case.uses_step:
        kwargs["step"] = step
    return bool(getattr(functional, case.fn)(param, grad, *positional, **kwargs))
