"""Latent Studio: train, draw, blend, edit and share small image generators in the browser.

    python app.py [--host 127.0.0.1] [--port 7860] [--share] [--weights-dir weights]

The file a Hugging Face Space starts (README front matter: app_file). The app itself is studio/app.py,
which the installed `latent-studio` command runs too.
"""
from studio.app import build_demo, launch_options, main

__all__ = ["build_demo", "launch_options", "main"]

if __name__ == "__main__":
    main()
