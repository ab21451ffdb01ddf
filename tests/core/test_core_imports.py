from tipsy_gan_helpers import modules_imported_by, top_level


def test_core_modules_import_neither_mmcv_nor_mmpose():
    loaded = modules_imported_by('tipsy_gan.core.normalization',
                                 'tipsy_gan.core.pose_metrics')
    assert not top_level(loaded) & {'mmcv', 'mmpose'}, sorted(loaded)
