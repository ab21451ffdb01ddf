import subprocess
import sys


def test_core_modules_import_neither_mmcv_nor_mmpose():
    code = ('import sys\n'
            'import tipsy_gan.core.normalization, tipsy_gan.core.pose_metrics\n'
            'bad = sorted(m for m in sys.modules\n'
            '             if m.split(".")[0] in ("mmcv", "mmpose"))\n'
            'assert not bad, bad\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
