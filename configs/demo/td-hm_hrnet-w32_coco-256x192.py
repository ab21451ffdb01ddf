# MMPose's top-down HRNet-w32 heatmap model for COCO's 17 keypoints (256x192),
# as the 2D stage of the image-to-3D demo:
#   python demo/image_to_3d.py configs/demo/td-hm_hrnet-w32_coco-256x192.py HRNET.pth --input IMAGE_OR_VIDEO
# Weights: MMPose's published td-hm_hrnet-w32_8xb64-210e_coco-256x192 checkpoint
# (downloaded by the user). Without weights it runs at its initial weights (the tests).
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py']

# Inference only: no ImageNet download for the backbone.
model = dict(backbone=dict(init_cfg=None))
