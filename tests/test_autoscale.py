"""autoscale: the Azure setting built offline, its checks, the queueing model and the replay."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from azure.mgmt.monitor.models import AutoscaleSettingResource

from mlcheckup import autoscale
from mlcheckup.errors import ValidationError

CPU = "CpuUtilizationPercentage"


def cpu_setting(minimum=1, maximum=6, default=2, **kwargs):
    return autoscale.autoscale_setting(minimum=minimum, maximum=maximum, default=default, rules=[
        autoscale.scale_rule(CPU, "GreaterThan", 70, "Increase", cooldown="PT5M", **kwargs),
        autoscale.scale_rule(CPU, "LessThan", 25, "Decrease", cooldown="PT10M", time_window="PT10M")])


def flat(rpm, minutes=240):
    return pd.Series(float(rpm), index=pd.date_range("2024-03-04", periods=minutes, freq="min"))


# --- the Azure object ----------------------------------------------------------------------------
def test_setting_is_the_real_sdk_object_enabled_with_string_capacities():
    setting = cpu_setting()
    assert isinstance(setting, AutoscaleSettingResource)
    body = setting.serialize()
    props = body["properties"]
    assert props["enabled"] is True
    assert props["profiles"][0]["capacity"] == {"minimum": "1", "maximum": "6", "default": "2"}
    rule_in = props["profiles"][0]["rules"][1]
    assert rule_in["scaleAction"] == {"direction": "Decrease", "type": "ChangeCount", "value": "1", "cooldown": "PT10M"}
    assert rule_in["metricTrigger"]["timeWindow"] == "PT10M" and rule_in["metricTrigger"]["timeGrain"] == "PT1M"
    # the SDK reads its own body back: the object that runs here is the one Azure receives
    again = AutoscaleSettingResource.deserialize(body)
    assert again.profiles[0].rules[0].scale_action.cooldown == dt.timedelta(minutes=5)
    assert autoscale.simulate(again, flat(1000, 30)).minutes.shape[0] == 30


@pytest.mark.parametrize(("make", "words"), [
    (lambda: autoscale.scale_rule(CPU, "LessThan", 30, "Increase"), "rule 1 .*LessThan.*needs direction='Decrease'"),
    (lambda: autoscale.scale_rule(CPU, "GreaterThan", 70, "Decrease"), "rule 1 .*needs direction='Increase'"),
    (lambda: autoscale.scale_rule(CPU, "GreaterThan", 70, "Increase", cooldown=None), "rule 1 .*cooldown None"),
    (lambda: autoscale.scale_rule(CPU, "GreaterThan", 70, "Increase", time_window="PT2M"), "between 5 minutes"),
    (lambda: autoscale.scale_rule("Nope", "GreaterThan", 70, "Increase"), "'Nope' is not replayed"),
])
def test_malformed_rules_are_refused_by_name_with_the_fix(make, words):
    with pytest.raises(ValidationError, match=words):
        autoscale.autoscale_setting(minimum=1, maximum=3, default=1, rules=[make()])


def test_bad_capacities_are_refused():
    with pytest.raises(ValidationError, match="minimum 4 is above maximum 2; swap"):
        autoscale.autoscale_setting(minimum=4, maximum=2, default=2, rules=[])
    with pytest.raises(ValidationError, match="default 9 is outside"):
        autoscale.autoscale_setting(minimum=1, maximum=2, default=9, rules=[])
    with pytest.raises(ValidationError, match="cannot scale to zero"):
        autoscale.autoscale_setting(minimum=0, maximum=2, default=1, rules=[])
    with pytest.raises(ValidationError, match="AutoscaleSettingResource"):
        autoscale.simulate({"profiles": []}, flat(10))


# --- the queueing model --------------------------------------------------------------------------
def test_queue_matches_erlang_formulas():
    # M/M/1/2 (Azure's default: 1 concurrent request, 2 in the system): blocking a^2 / (1 + a + a^2)
    a = 0.5
    row = autoscale.queue_metrics([a * 1000 / 2.0], service_ms=2.0).iloc[0]
    assert row["rejected_share"] == pytest.approx(a**2 / (1 + a + a**2), rel=1e-9)
    # M/M/1 with room to spare: sojourn is exponential with rate mu - lambda
    mu, lam = 1000 / 2.0, 250.0
    row = autoscale.queue_metrics([lam], service_ms=2.0, workers=1, max_concurrent=60, over_ms=5.0).iloc[0]
    assert row["p95_ms"] == pytest.approx(1000 * np.log(20) / (mu - lam), rel=1e-3)
    assert row["over_share"] == pytest.approx(np.exp(-(mu - lam) * 0.005), rel=1e-6)


def test_queue_matches_a_discrete_event_simulation():
    rng = np.random.default_rng(5)
    lam, service_ms, c, k = 1500.0, 2.0, 2, 4        # max_concurrent=2: 2 scoring, 4 in the system
    arrivals = np.cumsum(rng.exponential(1 / lam, 60_000))
    services = rng.exponential(service_ms / 1000, arrivals.size)
    free, inside, sojourn, refused = [0.0] * c, [], [], 0
    for t, s in zip(arrivals, services, strict=True):
        inside = [d for d in inside if d > t]
        if len(inside) >= k:
            refused += 1
            continue
        free.sort()
        done = max(t, free[0]) + s
        free[0] = done
        inside.append(done)
        sojourn.append(done - t)
    model = autoscale.queue_metrics([lam], service_ms=service_ms, max_concurrent=2).iloc[0]
    assert model["rejected_share"] == pytest.approx(refused / arrivals.size, abs=0.01)
    assert model["p95_ms"] == pytest.approx(np.percentile(sojourn, 95) * 1000, rel=0.05)


# --- the replay ----------------------------------------------------------------------------------
def test_replay_scales_out_on_any_rule_waits_for_warm_up_and_respects_cooldown():
    load = pd.concat([flat(3_000, 30), flat(120_000, 90)])
    load.index = pd.date_range("2024-03-04", periods=len(load), freq="min")
    replay = autoscale.simulate(cpu_setting(), load, provision_minutes=5)
    outs = replay.actions[replay.actions["direction"] == "out"]
    assert len(outs) >= 2
    first = outs.iloc[0]
    t = replay.minutes.index.get_loc(first["time"])
    assert replay.minutes["instances"].iloc[t + 1] == first["after"]          # billed at once
    assert replay.minutes["ready"].iloc[t + 1] == first["before"]             # not serving yet
    assert replay.minutes["ready"].iloc[t + 6] == first["after"]              # ready after 5 minutes
    gaps = outs["time"].diff().dropna()
    assert (gaps >= pd.Timedelta(minutes=5)).all()                            # cooldown of the out rule


def test_scale_in_needs_every_scale_in_rule():
    rules = [autoscale.scale_rule(CPU, "LessThan", 30, "Decrease"),
             autoscale.scale_rule("RequestsPerMinute", "LessThan", 10, "Decrease")]
    setting = autoscale.autoscale_setting(minimum=1, maximum=4, default=4, rules=rules)
    quiet = autoscale.simulate(setting, flat(600, 60))                           # CPU low, but 600 rpm > 10
    assert quiet.actions.empty and (quiet.minutes["instances"] == 4).all()
    idle = autoscale.simulate(setting, flat(5, 60))                              # both fire
    assert idle.minutes["instances"].iloc[-1] == 1


def test_flapping_guard_keeps_an_instance_whose_removal_would_trigger_scale_out():
    setting = autoscale.autoscale_setting(minimum=1, maximum=4, default=2, rules=[
        autoscale.scale_rule(CPU, "GreaterThan", 60, "Increase"),
        autoscale.scale_rule(CPU, "LessThan", 40, "Decrease")])
    rpm = 0.35 * 2 * 60_000 / autoscale.SERVICE_MS   # 35 % CPU on 2 instances, 70 % on one
    replay = autoscale.simulate(setting, flat(rpm, 60))
    assert replay.actions.empty


def test_disabled_setting_never_scales_as_on_azure():
    setting = cpu_setting()
    setting.enabled = False
    replay = autoscale.simulate(setting, flat(200_000, 60))
    assert replay.actions.empty and (replay.minutes["instances"] == 2).all()


def test_cost_counts_provisioned_instances_and_summary_counts_reversals():
    replay = autoscale.simulate(autoscale.autoscale_setting(minimum=3, maximum=3, default=3, rules=[]), flat(100, 120))
    assert replay.instance_hours == pytest.approx(6.0)
    assert replay.cost_usd == pytest.approx(6.0 * 0.293)
    times = pd.to_datetime(["2024-03-04 10:00", "2024-03-04 10:20", "2024-03-04 10:50", "2024-03-04 13:00",
                            "2024-03-04 15:00"])
    actions = pd.DataFrame({"time": times, "direction": ["out", "in", "out", "in", "out"],
                            "before": [1, 2, 1, 2, 1], "after": [2, 1, 2, 1, 2], "rule": ""})
    fake = autoscale.Replay(minutes=replay.minutes, actions=actions, sku="Standard_DS3_v2")
    assert fake.reversals() == 1          # in at 10:20, out again at 10:50; out then in is a burst handled


def test_load_trace_is_seeded():
    assert autoscale.load_trace(3).equals(autoscale.load_trace(3))
    assert not autoscale.load_trace(3).equals(autoscale.load_trace(4))
    with pytest.raises(ValidationError, match="night_rpm <= peak_rpm"):
        autoscale.load_trace(1, peak_rpm=10, night_rpm=20)


def test_replay_plot_counts_instances_in_whole_numbers():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    replay = autoscale.simulate(autoscale.autoscale_setting(minimum=1, maximum=3, default=2, rules=[]), flat(100, 30))
    fig = replay.plot(p95_ms=10.0)          # 2 instances all along: a float locator would tick 1.8, 1.9, ...
    try:
        ticks = fig.axes[0].get_yticks()
        assert len(ticks) and np.allclose(ticks, np.round(ticks))
    finally:
        plt.close(fig)
