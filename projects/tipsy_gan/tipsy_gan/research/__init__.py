"""Research tools beside the method (plain PyTorch, no mmcv/mmpose): the
label-free training signals and stopping rules (fig. 3's studies) and the
keypoint-sensitivity measures of §4.4. ``core/`` keeps the paper's
algorithm and the priors and terms a recipe trains with."""
