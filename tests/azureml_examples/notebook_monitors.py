# Copyright (c) Microsoft Corporation. Licensed under the MIT License (see LICENSE beside this file).
# Code cells 33 and 35 of cli/monitoring/azureml-e2e-model-monitoring/notebooks/model-monitoring-e2e.ipynb,
# Azure/azureml-examples @085cd6ea399038c1e07843acff811f34261c0887, wrapped in functions; the MLClient and
# begin_create_or_update lines are removed (offline). `reference_kwargs` exists so a test can replace the
# notebook's `target_column_name=` (not a keyword of azure-ai-ml 1.35.2) by `data_column_names=`.
# ruff: noqa


def basic_monitor():
    from azure.ai.ml.entities import (
        AlertNotification,
        MonitoringTarget,
        MonitorDefinition,
        MonitorSchedule,
        RecurrencePattern,
        RecurrenceTrigger,
        ServerlessSparkCompute,
    )

    # create the compute
    spark_compute = ServerlessSparkCompute(
        instance_type="standard_e4s_v3", runtime_version="3.4"
    )

    # specify your online endpoint deployment
    monitoring_target = MonitoringTarget(
        ml_task="classification", endpoint_deployment_id="azureml:credit-default:main"
    )

    # create alert notification object
    alert_notification = AlertNotification(emails=["abc@example.com", "def@example.com"])

    # create the monitor definition
    monitor_definition = MonitorDefinition(
        compute=spark_compute,
        monitoring_target=monitoring_target,
        alert_notification=alert_notification,
    )

    # specify the schedule frequency
    recurrence_trigger = RecurrenceTrigger(
        frequency="day", interval=1, schedule=RecurrencePattern(hours=3, minutes=15)
    )

    # create the monitor
    model_monitor = MonitorSchedule(
        name="credit_default_monitor_basic",
        trigger=recurrence_trigger,
        create_monitor=monitor_definition,
    )
    return model_monitor


def advanced_monitor(reference_kwargs=None):
    from azure.ai.ml import Input
    from azure.ai.ml.constants import (
        MonitorDatasetContext,
    )
    from azure.ai.ml.entities import (
        AlertNotification,
        DataDriftSignal,
        DataQualitySignal,
        PredictionDriftSignal,
        DataDriftMetricThreshold,
        DataQualityMetricThreshold,
        PredictionDriftMetricThreshold,
        NumericalDriftMetrics,
        CategoricalDriftMetrics,
        DataQualityMetricsNumerical,
        DataQualityMetricsCategorical,
        MonitorFeatureFilter,
        MonitoringTarget,
        MonitorDefinition,
        MonitorSchedule,
        RecurrencePattern,
        RecurrenceTrigger,
        ServerlessSparkCompute,
        ReferenceData,
    )

    # create your compute
    spark_compute = ServerlessSparkCompute(
        instance_type="standard_e4s_v3", runtime_version="3.4"
    )

    # specify the online deployment (if you have one)
    monitoring_target = MonitoringTarget(
        ml_task="classification", endpoint_deployment_id="azureml:credit-default:main"
    )

    # training data to be used as baseline dataset
    reference_data_training = ReferenceData(
        input_data=Input(type="mltable", path="azureml:credit-default-reference:1"),
        **(reference_kwargs or dict(target_column_name="DEFAULT_NEXT_MONTH")),
        data_context=MonitorDatasetContext.TRAINING,
    )

    # create an advanced data drift signal
    features = MonitorFeatureFilter(top_n_feature_importance=10)

    metric_thresholds = DataDriftMetricThreshold(
        numerical=NumericalDriftMetrics(jensen_shannon_distance=0.01),
        categorical=CategoricalDriftMetrics(pearsons_chi_squared_test=0.02),
    )

    advanced_data_drift = DataDriftSignal(
        reference_data=reference_data_training,
        features=features,
        metric_thresholds=metric_thresholds,
    )

    # create an advanced prediction drift signal
    metric_thresholds = PredictionDriftMetricThreshold(
        categorical=CategoricalDriftMetrics(jensen_shannon_distance=0.01)
    )

    advanced_prediction_drift = PredictionDriftSignal(
        reference_data=reference_data_training, metric_thresholds=metric_thresholds
    )

    # create an advanced data quality signal
    features = ["SEX", "EDUCATION", "AGE"]

    metric_thresholds = DataQualityMetricThreshold(
        numerical=DataQualityMetricsNumerical(null_value_rate=0.01),
        categorical=DataQualityMetricsCategorical(out_of_bounds_rate=0.02),
    )

    advanced_data_quality = DataQualitySignal(
        reference_data=reference_data_training,
        features=features,
        metric_thresholds=metric_thresholds,
        alert_enabled=False,
    )

    # put all monitoring signals in a dictionary
    monitoring_signals = {
        "data_drift_advanced": advanced_data_drift,
        "data_quality_advanced": advanced_data_quality,
    }

    # create alert notification object
    alert_notification = AlertNotification(emails=["abc@example.com", "def@example.com"])

    # create the monitor definition
    monitor_definition = MonitorDefinition(
        compute=spark_compute,
        monitoring_target=monitoring_target,
        monitoring_signals=monitoring_signals,
        alert_notification=alert_notification,
    )

    # specify the frequency on which to run your monitor
    recurrence_trigger = RecurrenceTrigger(
        frequency="day", interval=1, schedule=RecurrencePattern(hours=3, minutes=15)
    )

    # create your monitor
    model_monitor = MonitorSchedule(
        name="credit_default_monitor_advanced",
        trigger=recurrence_trigger,
        create_monitor=monitor_definition,
    )
    return model_monitor, advanced_prediction_drift
