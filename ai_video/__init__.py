"""ai_video: long videos in, ranked captioned vertical clips out; scripts in, shorts out."""

__version__ = "0.1.0"
