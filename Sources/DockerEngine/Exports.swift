// Stream frames and parse errors appear in this module's API; callers should not need a second import.
@_exported import struct HTTP1.DockerOutputFrame
@_exported import enum HTTP1.DockerOutputStream
@_exported import enum HTTP1.DockerFrameError
@_exported import enum HTTP1Client.HTTP1Endpoint
