"""fan_model.py: the fan vibration model of src/sim/simulator.cpp in numpy, used
only to fit its per-label levels to a real dataset (calibrate.py). The C++
simulator is the product; this mirrors its unit components exactly:
  hum   120 Hz motor hum (twice the 60 Hz mains; aliased to 80 Hz by 200 Hz
        sampling), phase-modulated (and a little amplitude-modulated) at
        14 Hz: sidebands at 106 and 134 Hz, aliased to 94 and 66 Hz
  rot1  imbalance at the rotation frequency f_rot of the speed state
  rot2  its second harmonic
  m11, m14, m25   lightly damped structural modes (11, 14.5, 25.5 Hz) driven by
        broadband forces: 2-pole resonators on white noise, unit variance
  m50   a broad, heavily damped response around 50 Hz (the housing)
  white broadband vibration and sensor noise (white, unit variance)
  sway  the base rocking at about 1 Hz when it is moved ("moving" variant)
"""
import numpy as np

FS = 200.0
N = 200
F_ROT = {"off": 0.0, "low": 5.5, "med": 8.5, "high": 10.5}  # Hz, from the real spectra's low-frequency peaks
HUM_HZ = 120.0
SIDEBAND_HZ = 14.0
# Modulation of the hum at SIDEBAND_HZ: phase index (rad) and amplitude depth.
# Chosen so the 94 / 80 Hz and 66 / 80 Hz power ratios (0.19 / 0.06) and the
# MAD / standard deviation ratio of hum-dominated windows (1.42) match the
# recordings; a pure amplitude modulation gives the sidebands but a MAD 15 %
# too low.
HUM_PM, HUM_AM = 0.64, -0.18
MODES = [(11.0, 2.0), (14.5, 1.5), (25.5, 2.0), (50.0, 30.0)]  # (Hz, -3 dB bandwidth Hz)
SWAY = (1.0, 1.0)
BURN_IN = 400
COMPONENTS = ["hum", "rot1", "rot2", "m11", "m14", "m25", "m50", "white", "sway"]


def ar2(f0, bw):
    """Coefficients and input gain of a unit-variance 2-pole resonator."""
    r = np.exp(-np.pi * bw / FS)
    a1 = 2 * r * np.cos(2 * np.pi * f0 / FS)
    a2 = -r * r
    # Variance of y_k = a1 y_{k-1} + a2 y_{k-2} + e_k for unit-variance e.
    var = (1 - a2) / ((1 + a2) * ((1 - a2) ** 2 - a1 * a1))
    return a1, a2, 1.0 / np.sqrt(var)


def resonant_noise(rng, f0, bw, n):
    a1, a2, g = ar2(f0, bw)
    e = rng.standard_normal(n + BURN_IN) * g
    y = np.zeros(n + BURN_IN)
    for k in range(2, n + BURN_IN):
        y[k] = a1 * y[k - 1] + a2 * y[k - 2] + e[k]
    return y[BURN_IN:]


def unit_components(rng, state, n=N):
    """Dict of component -> (n,) unit signal for one window (one axis)."""
    t = rng.uniform(0, 1000) + np.arange(n) / FS
    ph = rng.uniform(0, 2 * np.pi, 3)
    out = {}
    mod = 2 * np.pi * SIDEBAND_HZ * t + ph[1]
    out["hum"] = (1 + HUM_AM * np.cos(mod)) * np.cos(2 * np.pi * HUM_HZ * t + ph[0] + HUM_PM * np.sin(mod))
    fr = F_ROT[state] * (1 + 0.01 * rng.standard_normal())
    out["rot1"] = np.cos(2 * np.pi * fr * t + rng.uniform(0, 2 * np.pi)) if fr > 0 else np.zeros(n)
    out["rot2"] = np.cos(2 * np.pi * 2 * fr * t + rng.uniform(0, 2 * np.pi)) if fr > 0 else np.zeros(n)
    for name, (f0, bw) in zip(["m11", "m14", "m25", "m50"], MODES):
        out[name] = resonant_noise(rng, f0, bw, n)
    out["white"] = rng.standard_normal(n)
    out["sway"] = resonant_noise(rng, SWAY[0], SWAY[1], n)
    return out
