import type { FaceView } from "@/lib/api/detection-view";

/** A frame is never drawn smaller than this, so a 20-px face in a crowd stays visible on a phone. */
const MIN_FRAME = "14px";

/**
 * The photo with a frame on each face. The stage takes the photo's aspect ratio before the picture arrives, so
 * frames are in place from the first paint and nothing below moves; it uses the full width on a phone, and at most
 * 45% (phone) or 62% (desktop) of the screen's height, so the first faces show without scrolling.
 *
 * Frames are for the mouse: hovering highlights a face, clicking opens it. They are not tab stops: the gallery
 * below holds the same faces as a list, which is the keyboard's and screen reader's way in.
 */
export function PhotoWithBoxes({
  src,
  width,
  height,
  faces,
  weaker,
  highlighted,
  onHighlight,
  onOpen,
}: {
  src: string | null;
  width: number | null;
  height: number | null;
  faces: FaceView[];
  /** Candidates below the threshold, drawn dashed when the viewer asked to compare. */
  weaker: FaceView[];
  highlighted: number | null;
  onHighlight: (index: number | null) => void;
  onOpen: (index: number) => void;
}) {
  const ratio = width && height ? width / height : 3 / 2;
  return (
    <div className="flex justify-center">
      <div
        className="relative max-w-full overflow-hidden rounded-xl bg-neutral-200 [--stage-h:45svh] sm:rounded-2xl sm:[--stage-h:62vh] dark:bg-neutral-800"
        style={{ aspectRatio: `${ratio}`, width: `min(100%, calc(var(--stage-h) * ${ratio}))` }}
      >
        {src && width && height ? (
          // biome-ignore lint/performance/noImgElement: the server already made a sized JPEG preview
          <img
            src={src}
            alt={`The analysed photo, with ${faces.length} face${faces.length === 1 ? "" : "s"} framed`}
            width={width}
            height={height}
            className="block h-full w-full"
          />
        ) : (
          <div className="h-full w-full animate-pulse" aria-hidden="true" />
        )}
        {width && height && (
          <div aria-hidden="true">
            {[
              ...weaker.map((face) => ({ face, weak: true })),
              ...faces.map((face) => ({ face, weak: false })),
            ].map(({ face, weak }) =>
              face.box === null ? null : (
                // biome-ignore lint/a11y/noStaticElementInteractions: a mouse shortcut; the gallery's buttons are the keyboard's way to the same face
                // biome-ignore lint/a11y/useKeyWithClickEvents: as above: not a tab stop on purpose
                <div
                  key={face.index}
                  data-face-frame={weak ? "weaker" : "shown"}
                  onMouseEnter={() => onHighlight(face.index)}
                  onMouseLeave={() => onHighlight(null)}
                  onClick={() => onOpen(face.index)}
                  className={`absolute cursor-pointer rounded-sm transition-colors ${
                    weak
                      ? "border border-white/70 border-dashed"
                      : highlighted === face.index
                        ? "z-10 border-[3px] border-yellow-400 shadow-[0_0_0_9999px_rgba(0,0,0,0.4)]"
                        : "border-2 border-white/95 shadow-[0_0_0_1px_rgba(0,0,0,0.6)]"
                  }`}
                  style={{
                    left: `${((face.box.x + face.box.width / 2) / width) * 100}%`,
                    top: `${((face.box.y + face.box.height / 2) / height) * 100}%`,
                    width: `max(${MIN_FRAME}, ${(face.box.width / width) * 100}%)`,
                    height: `max(${MIN_FRAME}, ${(face.box.height / height) * 100}%)`,
                    transform: "translate(-50%, -50%)",
                  }}
                />
              ),
            )}
          </div>
        )}
      </div>
    </div>
  );
}
