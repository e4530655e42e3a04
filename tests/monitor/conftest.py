import numpy as np
import pandas as pd
import pytest


def make_frame(n: int, seed: int = 0, shift: float = 0.0, new_category: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    plans = ["basic", "plus", "pro"] + (["enterprise"] if new_category else [])
    p = [0.5, 0.3, 0.2] if not new_category else [0.3, 0.2, 0.2, 0.3]
    return pd.DataFrame({
        "age": rng.integers(18, 80, n) + int(round(shift * 10)),
        "income": rng.lognormal(10 + shift, 0.5, n),
        "tenure": rng.exponential(24, n),
        "plan": rng.choice(plans, n, p=p),
        "active": rng.uniform(size=n) < 0.7,
    })


@pytest.fixture
def reference():
    return make_frame(3000, seed=1)


@pytest.fixture
def same_distribution():
    return make_frame(2500, seed=2)


@pytest.fixture
def shifted():
    return make_frame(2500, seed=3, shift=1.0, new_category=True)
