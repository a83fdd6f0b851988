"""Image operations every layer shares: uint8 <-> tensor conversion, fitting pictures to a square,
Laplacian pyramids and SSIM."""
