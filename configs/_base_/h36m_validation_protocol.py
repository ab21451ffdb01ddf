# The validation protocol (projects/tipsy_gan/docs/protocol.md): research runs
# train on the 2D of S1, S5, S6, S7 and are scored on S8 (from the train
# file: its 2D is never trained on, its 3D read by the evaluation alone).
# Every choice (recipe options, stopping rules, budgets) is made on S8; final
# runs train on all five subjects with the fixed choice and report S9/S11
# once. A data option, not a copy of the data.
#
# A research recipe (_base_/recipe_val_*.py) adds this beside its other
# pieces and sets (mmengine refuses a key that two bases both define, so
# this file only names the pieces):
#   train_dataloader = dict(dataset=dict(subjects={{_base_.train_subjects}}))
#   test_dataloader = dict(dataset={{_base_.validation_dataset}})
# The test loader then reads S8 with the recipe's pipeline, evaluators and
# frame rate (fps10 here: a recipe of another rate sets the ann_file too),
# so tools/test.py and tools/analysis/fast_eval.py score S8, never S9/S11.
# An epoch is shorter (S8 is 19% of the fps10 train file): recipes that
# count iterations (an EMAHook's begin_iter) recount them.
train_subjects = ['S1', 'S5', 'S6', 'S7']
val_subjects = ['S8']
validation_dataset = dict(
    type='TIPSyHuman36mDataset',
    ann_file='annotation_body3d/fps10/h36m_train.npz',
    subjects=val_subjects,
)
