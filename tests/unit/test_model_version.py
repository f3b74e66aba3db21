"""A model's version hashes its training options; options added later count only when set, so the
versions of models trained before them (the shipped one among them) stay what they were."""

from dataclasses import replace

from models.train import TrainConfig, model_version


def test_later_options_change_the_version_only_when_set():
    default = model_version(TrainConfig(), "snapshot")
    assert model_version(replace(TrainConfig(), finetune_chunks=None, finetune_real_weight=1.0), "snapshot") == default
    assert model_version(replace(TrainConfig(), finetune_chunks=4), "snapshot") != default
    assert model_version(replace(TrainConfig(), finetune_real_weight=2.0), "snapshot") != default
    assert model_version(replace(TrainConfig(), epochs=4), "snapshot") != default
    assert model_version(TrainConfig(), "another snapshot") != default
