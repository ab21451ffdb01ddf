from setuptools import find_packages, setup

setup(
    name='tipsy_gan',
    version='0.1.0',
    description='TIPSy-GAN: unsupervised adversarial 2D-to-3D pose lifting, as an MMPose project',
    package_dir={'': 'projects/tipsy_gan'},
    packages=find_packages('projects/tipsy_gan'),
    python_requires='>=3.10',
    install_requires=['numpy', 'scipy', 'torch', 'tqdm'],
)
