"""Draw the application icon (a drop over an infusion line) into resources/icons/.

Run once after changing the design: `.venv/bin/python packaging/make_icon.py`. The PNG and
ICO files it writes are committed; nothing is drawn at build or run time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

OUT = Path(__file__).resolve().parent.parent / "resources" / "icons"


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 256
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor("#0f6e76")))
    p.drawRoundedRect(QRectF(8 * s, 8 * s, 240 * s, 240 * s), 48 * s, 48 * s)
    drop = QPainterPath()
    drop.moveTo(QPointF(128 * s, 40 * s))
    drop.cubicTo(QPointF(128 * s, 40 * s), QPointF(62 * s, 120 * s), QPointF(62 * s, 150 * s))
    drop.cubicTo(QPointF(62 * s, 190 * s), QPointF(92 * s, 216 * s), QPointF(128 * s, 216 * s))
    drop.cubicTo(QPointF(164 * s, 216 * s), QPointF(194 * s, 190 * s), QPointF(194 * s, 150 * s))
    drop.cubicTo(QPointF(194 * s, 120 * s), QPointF(128 * s, 40 * s), QPointF(128 * s, 40 * s))
    p.setBrush(QBrush(QColor("white")))
    p.drawPath(drop)
    p.setPen(QPen(QColor("#0f6e76"), 14 * s, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(QPointF(104 * s, 160 * s), QPointF(152 * s, 160 * s))
    p.drawLine(QPointF(128 * s, 136 * s), QPointF(128 * s, 184 * s))
    p.end()
    return image


def main() -> int:
    QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    draw(256).save(str(OUT / "clinic-gui.png"))
    draw(256).save(str(OUT / "clinic-gui.ico"))
    for path in (OUT / "clinic-gui.png", OUT / "clinic-gui.ico"):
        if not path.exists() or path.stat().st_size == 0:
            raise SystemExit(f"could not write {path}")
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
