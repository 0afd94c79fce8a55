"""A fake camera for the browser tests: a Y4M video of one QR code, for Chromium's
``--use-file-for-fake-video-capture``. Written in plain Python (segno draws the code's modules;
no image library): grey frames in 4:2:0, the code black on white in the middle."""

from pathlib import Path

import segno

WIDTH, HEIGHT = 640, 480
DARK, LIGHT = 16, 235  # video-range luma of black and white
NEUTRAL = 128  # no colour


def qr_video(path: Path, text: str, *, frames: int = 10, fps: int = 10) -> list[str]:
    """Write a Y4M video of ``text`` as a QR code (error level M, as the pages draw it) and
    return the Chromium switches that play it as the camera (it loops). Chromium opens the
    file when a page starts the camera: a browser launched with a placeholder plays whatever
    was written last."""
    rows = [list(r) for r in segno.make(text, error="m").matrix_iter(scale=1, border=4)]
    scale = min(WIDTH, HEIGHT) // len(rows)
    if scale < 3:
        raise ValueError(f"{len(rows)} modules do not fit {WIDTH}x{HEIGHT} at 3 px a module")
    size = len(rows) * scale
    left, top = (WIDTH - size) // 2, (HEIGHT - size) // 2
    luma = bytearray([LIGHT]) * (WIDTH * HEIGHT)
    for y in range(size):
        row = rows[y // scale]
        line = bytes(DARK if row[x // scale] else LIGHT for x in range(size))
        start = (top + y) * WIDTH + left
        luma[start : start + size] = line
    chroma = bytes([NEUTRAL]) * ((WIDTH // 2) * (HEIGHT // 2) * 2)
    frame = b"FRAME\n" + bytes(luma) + chroma
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            f.write(frame)
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={path}",
    ]
