"""The RE suite's problems with three or more objectives (RE31-RE37, RE41, RE42, RE61); see
``re_suite``."""

from __future__ import annotations

import numpy as np

from dist_ombo.tasks.re_base import RETask, violation


class RE31(RETask):
    """Two-bar truss design: structural volume, joint stress, and the violation of three limits."""

    name = "re31"
    bounds = ((1e-5, 1e-5, 1.0), (100.0, 100.0, 3.0))
    n_objectives = 3
    hv_nadir = (808.852742, 6893375.82, 6793450.0)
    pf_ideal = (5.53731918799e-05, 0.333333333333, 0.0)
    pf_nadir = (500.002668442, 8246211.25124, 19359919.7502)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        x1, x2, x3 = X.T
        f1 = x1 * np.sqrt(16.0 + x3**2) + x2 * np.sqrt(1.0 + x3**2)
        f2 = 20.0 * np.sqrt(16.0 + x3**2) / (x1 * x3)
        g3 = 100000.0 - 80.0 * np.sqrt(1.0 + x3**2) / (x3 * x2)
        return np.column_stack([f1, f2, violation(0.1 - f1, 100000.0 - f2, g3)])


class RE32(RETask):
    """Welded beam design: cost, end deflection, and the violation of four constraints."""

    name = "re32"
    bounds = ((0.125, 0.1, 0.1, 0.125), (5.0, 10.0, 10.0, 5.0))
    n_objectives = 3
    hv_nadir = (290.661885, 16552.4628, 388265024.0)
    pf_ideal = (0.010205496875, 0.00043904, 0.0)
    pf_nadir = (37.7831517014, 17561.6, 425062976.628)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        x1, x2, x3, x4 = X.T
        P, L, E, G = 6000.0, 14.0, 30e6, 12e6
        tau_max, sigma_max = 13600.0, 30000.0
        f1 = 1.10471 * x1**2 * x2 + 0.04811 * x3 * x4 * (14.0 + x2)
        f2 = 4.0 * P * L**3 / (E * x4 * x3**3)
        M = P * (L + x2 / 2.0)
        R = np.sqrt(x2**2 / 4.0 + ((x1 + x3) / 2.0) ** 2)
        J = 2.0 * np.sqrt(2.0) * x1 * x2 * (x2**2 / 12.0 + ((x1 + x3) / 2.0) ** 2)
        tau_2 = M * R / J
        tau_1 = P / (np.sqrt(2.0) * x1 * x2)
        tau = np.sqrt(tau_1**2 + 2.0 * tau_1 * tau_2 * x2 / (2.0 * R) + tau_2**2)
        sigma = 6.0 * P * L / (x4 * x3**2)
        p_c = (4.013 * E * np.sqrt(x3**2 * x4**6 / 36.0) / L**2) * (
            1.0 - (x3 / (2.0 * L)) * np.sqrt(E / (4.0 * G))
        )
        f3 = violation(tau_max - tau, sigma_max - sigma, x4 - x1, p_c - P)
        return np.column_stack([f1, f2, f3])


class RE33(RETask):
    """Disc brake design: mass, stopping time, and the violation of four constraints."""

    name = "re33"
    bounds = ((55.0, 75.0, 1000.0, 11.0), (80.0, 110.0, 3000.0, 20.0))
    n_objectives = 3
    hv_nadir = (8.01164324, 8.83604223, 2343.29711914)
    pf_ideal = (-0.721525, 1.13907203907, 0.0)
    pf_nadir = (5.3067, 3.12833430979, 25.0)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        x1, x2, x3, x4 = X.T
        d2 = x2**2 - x1**2
        d3 = x2**3 - x1**3
        with np.errstate(divide="ignore", invalid="ignore"):  # x1 == x2: 0/0
            f1 = 4.9e-5 * d2 * (x4 - 1.0)
            f2 = 9.82e6 * d2 / (x3 * x4 * d3)
            f3 = violation(
                (x2 - x1) - 20.0,
                0.4 - x3 / (3.14 * d2),
                1.0 - 2.22e-3 * x3 * d3 / d2**2,
                2.66e-2 * x3 * x4 * d3 / d2 - 900.0,
            )
            return np.column_stack([f1, f2, f3])


class RE34(RETask):
    """Vehicle crashworthiness design: mass, acceleration, toe-board intrusion (no constraints).

    Off-MOO-Bench collects its data with NSGA-III for 100 generations.
    """

    name = "re34"
    bounds = ((1.0,) * 5, (3.0,) * 5)
    n_objectives = 3
    hv_nadir = (1702.51811, 11.6807224, 0.263918844)
    pf_ideal = (1661.7078225, 6.14280000608, 0.0394)
    pf_nadir = (1695.2002035, 10.7454, 0.26399999965)
    default_generations = 100
    nsga3 = True

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        x1, x2, x3, x4, x5 = X.T
        f1 = (
            1640.2823 + 2.3573285 * x1 + 2.3220035 * x2 + 4.5688768 * x3 + 7.7213633 * x4
            + 4.4559504 * x5
        )
        f2 = (
            6.5856 + 1.15 * x1 - 1.0427 * x2 + 0.9738 * x3 + 0.8364 * x4 - 0.3695 * x1 * x4
            + 0.0861 * x1 * x5 + 0.3628 * x2 * x4 - 0.1106 * x1**2 - 0.3437 * x3**2 + 0.1764 * x4**2
        )
        f3 = (
            -0.0551 + 0.0181 * x1 + 0.1024 * x2 + 0.0421 * x3 - 0.0073 * x1 * x2 + 0.024 * x2 * x3
            - 0.0118 * x2 * x4 - 0.0204 * x3 * x4 - 0.008 * x3 * x5 - 0.0241 * x2**2
            + 0.0109 * x4**2
        )
        return np.column_stack([f1, f2, f3])


class RE35(RETask):
    """Speed reducer design: weight, shaft stress, and the violation of eleven constraints.

    The number of pinion teeth is ``round(x3)``.
    """

    name = "re35"
    bounds = ((2.6, 0.7, 17.0, 7.3, 7.3, 2.9, 5.0), (3.6, 0.8, 28.0, 8.3, 8.3, 3.9, 5.5))
    n_objectives = 3
    hv_nadir = (7050.78959905, 1696.66697789, 397.83456421)
    pf_ideal = (2352.34611145, 694.233587469, 0.0)
    pf_nadir = (6634.56208, 1695.96387746, 397.358927317)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        x1, x2, x3, x4, x5, x6, x7 = X.T
        x3 = np.round(x3)
        f1 = (
            0.7854 * x1 * x2**2 * (10.0 * x3**2 / 3.0 + 14.933 * x3 - 43.0934)
            - 1.508 * x1 * (x6**2 + x7**2)
            + 7.477 * (x6**3 + x7**3)
            + 0.7854 * (x4 * x6**2 + x5 * x7**2)
        )
        f2 = np.sqrt((745.0 * x4 / (x2 * x3)) ** 2 + 1.69e7) / (0.1 * x6**3)
        stress_2 = np.sqrt((745.0 * x5 / (x2 * x3)) ** 2 + 1.575e8) / (0.1 * x7**3)
        f3 = violation(
            1.0 / 27.0 - 1.0 / (x1 * x2**2 * x3),
            1.0 / 397.5 - 1.0 / (x1 * x2**2 * x3**2),
            1.0 / 1.93 - x4**3 / (x2 * x3 * x6**4),
            1.0 / 1.93 - x5**3 / (x2 * x3 * x7**4),
            40.0 - x2 * x3,
            12.0 - x1 / x2,
            x1 / x2 - 5.0,
            x4 - 1.5 * x6 - 1.9,
            x5 - 1.1 * x7 - 1.9,
            1300.0 - f2,
            1100.0 - stress_2,
        )
        return np.column_stack([f1, f2, f3])


class RE36(RETask):
    """Gear train design: gear-ratio error, largest gear size, and the violation of one limit.

    All four numbers of teeth are ``round(x)``.
    """

    name = "re36"
    bounds = ((12.0,) * 4, (60.0,) * 4)
    n_objectives = 3
    hv_nadir = (10.21185714, 60.0, 0.97335988)
    pf_ideal = (7.89473684213e-05, 12.0, 0.0)
    pf_nadir = (5.931, 56.0, 0.355720675227)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        x = np.round(X)
        x1, x2, x3, x4 = x.T
        f1 = np.abs(6.931 - (x3 / x1) * (x4 / x2))
        f2 = x.max(axis=1)
        return np.column_stack([f1, f2, violation(0.5 - f1 / 6.931)])


class RE37(RETask):
    """Rocket injector design: three response-surface objectives on [0, 1]^4 (no constraints)."""

    name = "re37"
    bounds = ((0.0,) * 4, (1.0,) * 4)
    n_objectives = 3
    hv_nadir = (0.98949120096, 0.956587924661, 0.987530948586)
    pf_ideal = (0.00889341391106, 0.00488, -0.431499999825)
    pf_nadir = (0.98949120096, 0.956587924661, 0.987530948586)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        a, ha, oa, optt = X.T  # alpha, HA, OA, OPTT
        f1 = (
            0.692 + 0.477 * a - 0.687 * ha - 0.080 * oa - 0.0650 * optt - 0.167 * a**2
            - 0.0129 * ha * a + 0.0796 * ha**2 - 0.0634 * oa * a - 0.0257 * oa * ha + 0.0877 * oa**2
            - 0.0521 * optt * a + 0.00156 * optt * ha + 0.00198 * optt * oa + 0.0184 * optt**2
        )
        f2 = (
            0.153 - 0.322 * a + 0.396 * ha + 0.424 * oa + 0.0226 * optt + 0.175 * a**2
            + 0.0185 * ha * a - 0.0701 * ha**2 - 0.251 * oa * a + 0.179 * oa * ha + 0.0150 * oa**2
            + 0.0134 * optt * a + 0.0296 * optt * ha + 0.0752 * optt * oa + 0.0192 * optt**2
        )
        f3 = (
            0.370 - 0.205 * a + 0.0307 * ha + 0.108 * oa + 1.019 * optt - 0.135 * a**2
            + 0.0141 * ha * a + 0.0998 * ha**2 + 0.208 * oa * a - 0.0301 * oa * ha - 0.226 * oa**2
            + 0.353 * optt * a - 0.0497 * optt * oa - 0.423 * optt**2 + 0.202 * ha * a**2
            - 0.281 * oa * a**2 - 0.342 * ha**2 * a - 0.245 * ha**2 * oa + 0.281 * oa**2 * ha
            - 0.184 * optt**2 * a - 0.281 * ha * a * oa
        )
        return np.column_stack([f1, f2, f3])


class RE41(RETask):
    """Car side-impact design: weight, pubic force, mean V-pillar velocity, and the violation
    of ten safety limits."""

    name = "re41"
    bounds = (
        (0.5, 0.45, 0.5, 0.5, 0.875, 0.4, 0.4),
        (1.5, 1.35, 1.5, 1.5, 2.625, 1.2, 1.2),
    )
    n_objectives = 4
    hv_nadir = (42.64892315, 4.42692892, 13.07735381, 13.44858932)
    pf_ideal = (15.576004, 3.58525, 10.61064375, 0.0)
    pf_nadir = (39.2905121788, 4.42725, 13.09138125, 9.49401929991)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        x1, x2, x3, x4, x5, x6, x7 = X.T
        f1 = (
            1.98 + 4.9 * x1 + 6.67 * x2 + 6.98 * x3 + 4.01 * x4 + 1.78 * x5 + 0.00001 * x6
            + 2.73 * x7
        )
        f2 = 4.72 - 0.5 * x4 - 0.19 * x2 * x3
        v_mbp = 10.58 - 0.674 * x1 * x2 - 0.67275 * x2
        v_fd = 16.45 - 0.489 * x3 * x7 - 0.843 * x5 * x6
        f3 = 0.5 * (v_mbp + v_fd)
        f4 = violation(
            1.0 - (1.16 - 0.3717 * x2 * x4 - 0.0092928 * x3),
            0.32 - (0.261 - 0.0159 * x1 * x2 - 0.06486 * x1 - 0.019 * x2 * x7 + 0.0144 * x3 * x5
                    + 0.0154464 * x6),
            0.32 - (0.214 + 0.00817 * x5 - 0.045195 * x1 - 0.0135168 * x1 + 0.03099 * x2 * x6
                    - 0.018 * x2 * x7 + 0.007176 * x3 + 0.023232 * x3 - 0.00364 * x5 * x6
                    - 0.018 * x2**2),
            0.32 - (0.74 - 0.61 * x2 - 0.031296 * x3 - 0.031872 * x7 + 0.227 * x2**2),
            32.0 - (28.98 + 3.818 * x3 - 4.2 * x1 * x2 + 1.27296 * x6 - 2.68065 * x7),
            32.0 - (33.86 + 2.95 * x3 - 5.057 * x1 * x2 - 3.795 * x2 - 3.4431 * x7 + 1.45728),
            32.0 - (46.36 - 9.9 * x2 - 4.4505 * x1),
            4.0 - f2,
            9.9 - v_mbp,
            15.7 - v_fd,
        )
        return np.column_stack([f1, f2, f3, f4])


class RE42(RETask):
    """Conceptual marine (bulk carrier) design: transportation cost, light ship weight, annual
    cargo (negated), and the violation of nine constraints.

    As in the reference, sea days are ``(5000 / 24) * Vk``, which makes cargo deadweight (and so
    annual cargo) negative over most of the box; the objectives are kept as defined there.
    """

    name = "re42"
    bounds = ((150.0, 20.0, 13.0, 10.0, 14.0, 0.63), (274.32, 32.31, 25.0, 11.71, 18.0, 0.75))
    n_objectives = 4
    hv_nadir = (-263.907595, 19904.8970, 28546.7850, 14.9821739)
    # The reference's points after its 2021-05-29 fix of the DWT bound (500000).
    pf_ideal = (-2756.2590400638524, 3962.557843228888, 1947.880856925791, 0.0)
    pf_nadir = (-1010.5229595219643, 13827.138456300128, 2611.9668107424536, 12.437669929732023)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        L, B, D, T, vk, cb = X.T
        displacement = 1.025 * L * B * T * cb
        froude = 0.5144 * vk / np.sqrt(9.8065 * L)
        a = 4977.06 * cb**2 - 8105.61 * cb + 4456.51
        b = -10847.2 * cb**2 + 12817.0 * cb - 6960.32
        power = displacement ** (2.0 / 3.0) * vk**3 / (a + b * froude)
        outfit_weight = L**0.8 * B**0.6 * D**0.3 * cb**0.1
        steel_weight = 0.034 * L**1.7 * B**0.7 * D**0.4 * cb**0.5
        machinery_weight = 0.17 * power**0.9
        light_ship_weight = steel_weight + outfit_weight + machinery_weight
        ship_cost = 1.3 * (
            2000.0 * steel_weight**0.85 + 3500.0 * outfit_weight + 2400.0 * power**0.8
        )
        capital_costs = 0.2 * ship_cost
        dwt = displacement - light_ship_weight
        running_costs = 40000.0 * dwt**0.3
        sea_days = (5000.0 / 24.0) * vk
        daily_consumption = 0.19 * power * 24.0 / 1000.0 + 0.2
        fuel_cost = 1.05 * daily_consumption * sea_days * 100.0
        port_cost = 6.3 * dwt**0.8
        fuel_carried = daily_consumption * (sea_days + 5.0)
        cargo_dwt = dwt - fuel_carried - 2.0 * dwt**0.5
        port_days = 2.0 * (cargo_dwt / 8000.0 + 0.5)
        round_trips = 350.0 / (sea_days + port_days)
        annual_costs = capital_costs + running_costs + (fuel_cost + port_cost) * round_trips
        annual_cargo = cargo_dwt * round_trips

        kb = 0.53 * T
        bmt = (0.085 * cb - 0.002) * B**2 / (T * cb)
        kg = 1.0 + 0.52 * D
        f4 = violation(
            L / B - 6.0,
            15.0 - L / D,
            19.0 - L / T,
            0.45 * dwt**0.31 - T,
            0.7 * D + 0.7 - T,
            500000.0 - dwt,
            dwt - 3000.0,
            0.32 - froude,
            (kb + bmt - kg) - 0.07 * B,
        )
        return np.column_stack([annual_costs / annual_cargo, light_ship_weight, -annual_cargo, f4])


class RE61(RETask):
    """Water resource planning: five cost/pollution objectives and the violation of seven
    constraints."""

    name = "re61"
    bounds = ((0.01, 0.01, 0.01), (0.45, 0.10, 0.10))
    n_objectives = 6
    hv_nadir = (83060.0282, 1349.99999, 2853469.06, 16027067.6, 357719.742, 99660.3359)
    pf_ideal = (63840.2774, 30.0, 285346.896494, 183749.967061, 7.22222222222, 0.0)
    pf_nadir = (80896.9128355, 1350.0, 2853468.96494, 7076861.67064, 87748.6339553, 2.50994535821)

    def _evaluate(self, X: np.ndarray) -> np.ndarray:
        x1, x2, x3 = X.T
        p = x1 * x2
        f1 = 106780.37 * (x2 + x3) + 61704.67
        f2 = 3000.0 * x1
        f3 = 305700.0 * 2289.0 * x2 / (0.06 * 2289.0) ** 0.65
        f4 = 250.0 * 2289.0 * np.exp(-39.75 * x2 + 9.9 * x3 + 2.74)
        f5 = 25.0 * (1.39 / p + 4940.0 * x3 - 80.0)
        f6 = violation(
            1.0 - (0.00139 / p + 4.94 * x3 - 0.08),
            1.0 - (0.000306 / p + 1.082 * x3 - 0.0986),
            50000.0 - (12.307 / p + 49408.24 * x3 + 4051.02),
            16000.0 - (2.098 / p + 8046.33 * x3 - 696.71),
            10000.0 - (2.138 / p + 7883.39 * x3 - 705.04),
            2000.0 - (0.417 * p + 1721.26 * x3 - 136.54),
            550.0 - (0.164 / p + 631.13 * x3 - 54.48),
        )
        return np.column_stack([f1, f2, f3, f4, f5, f6])
