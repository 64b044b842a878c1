"""Messages to reporters and officers on the channels of the registry (channels/), delivered from the worker."""
