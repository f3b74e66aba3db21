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
    assert model_version(replace(TrainConfig(), held_out_fold=0), "snapshot") == default
    assert model_version(replace(TrainConfig(), held_out_fold=1), "snapshot") != default
    assert model_version(TrainConfig(), "another snapshot") != default


def test_a_students_version_says_whose_thresholds_it_flags_with():
    from models.distill import DistillConfig, student_version

    own = student_version("finetune-0123456789", DistillConfig())
    assert own.startswith("finetune-0123456789-L03-F768-")
    assert student_version("finetune-0123456789", DistillConfig(own_thresholds=False)) != own


def test_a_students_later_options_change_its_version_only_when_set():
    from models.distill import DistillConfig, student_version

    default = student_version("finetune-0123456789", DistillConfig())
    assert student_version("finetune-0123456789", DistillConfig(logit_weight=1.0)) == default
    assert student_version("finetune-0123456789", DistillConfig(logit_weight=4.0)) != default
    # the held-out rule is the one students had before the flag-rate rule: their versions stay
    assert student_version("finetune-0123456789", DistillConfig(cut_rule="held-out")) == default
    flag_rate = student_version("finetune-0123456789", DistillConfig(cut_rule="flag-rate"))
    assert flag_rate != default
    assert student_version("finetune-0123456789", DistillConfig(cut_rule="flag-rate", cut_blends=500)) != flag_rate


def test_a_students_reading_and_dropout_options_count_in_its_version():
    from models.distill import DistillConfig, student_version

    before = student_version("finetune-0123456789", replace(DistillConfig(), dropout=True, read_held_out=True, blends=0))
    for changed in ({"dropout": False}, {"read_held_out": False}, {"blends": 500}):
        fields = {"dropout": True, "read_held_out": True, "blends": 0} | changed
        assert student_version("finetune-0123456789", replace(DistillConfig(), **fields)) != before, changed
