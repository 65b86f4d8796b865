"""clusterms: mass spectrometry of atomically precise metal nanoclusters."""

from clusterms.errors import ClustermsError, InputFileError, NotationError, OptionError

__version__ = "0.1.0"

__all__ = ["ClustermsError", "InputFileError", "NotationError", "OptionError", "__version__"]
