# The runtime every config shares: MMPose's default runtime
# (mmpose::_base_/default_runtime.py, MMPose 1.3.2) written out, so that no
# config is more than 3 levels deep. _scope_='mmpose' is what mmengine marks
# on each typed dict that an mmpose:: base defines; it is kept so that every
# config resolves as it did when this file inherited MMPose's.
default_scope = 'mmpose'

default_hooks = dict(
    timer=dict(type='IterTimerHook', _scope_='mmpose'),
    logger=dict(type='LoggerHook', interval=50, _scope_='mmpose'),
    param_scheduler=dict(type='ParamSchedulerHook', _scope_='mmpose'),
    checkpoint=dict(type='CheckpointHook', interval=10, _scope_='mmpose'),
    sampler_seed=dict(type='DistSamplerSeedHook', _scope_='mmpose'),
    # No images: the 2D-pose visualisation hook has nothing to draw for
    # lifters.
    visualization=dict(type='PoseVisualizationHook', enable=False,
                       _scope_='mmpose'),
    badcase=dict(type='BadCaseAnalysisHook', enable=False, out_dir='badcase',
                 metric_type='loss', badcase_thr=5, _scope_='mmpose'))
# BN statistics across processes at the end of each epoch
custom_hooks = [dict(type='SyncBuffersHook', _scope_='mmpose')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend', _scope_='mmpose')]
visualizer = dict(type='PoseLocalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer', _scope_='mmpose')

log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True,
                     num_digits=6, _scope_='mmpose')
log_level = 'INFO'
load_from = None
resume = False

backend_args = dict(backend='local')

train_cfg = dict(by_epoch=True)
val_cfg = dict()
test_cfg = dict()
