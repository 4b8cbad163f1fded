import type { FaceView } from "@/lib/api/detection-view";

/**
 * The photo with a frame on each face. Frames are placed in percent of the picture, so they follow it at any
 * size; the stage has a fixed height, so nothing below it moves when the picture arrives.
 */
export function PhotoWithBoxes({
  src,
  width,
  height,
  faces,
  highlighted,
  onHighlight,
}: {
  src: string | null;
  width: number | null;
  height: number | null;
  faces: FaceView[];
  highlighted: number | null;
  onHighlight: (index: number | null) => void;
}) {
  return (
    <div className="flex h-[55vh] min-h-64 items-center justify-center overflow-hidden rounded-2xl bg-neutral-100 dark:bg-neutral-900">
      {src && width && height ? (
        <div className="relative inline-block">
          {/* biome-ignore lint/performance/noImgElement: the server already made a sized JPEG preview */}
          <img
            src={src}
            alt={`The analysed photo, with ${faces.length} face${faces.length === 1 ? "" : "s"} framed`}
            width={width}
            height={height}
            className="block max-h-[55vh] w-auto max-w-full"
          />
          {faces.map((face, position) =>
            face.box === null ? null : (
              <button
                type="button"
                key={face.index}
                aria-label={`Face ${position + 1}`}
                onMouseEnter={() => onHighlight(face.index)}
                onMouseLeave={() => onHighlight(null)}
                onFocus={() => onHighlight(face.index)}
                onBlur={() => onHighlight(null)}
                className={`absolute rounded-sm border-2 transition-colors ${
                  highlighted === face.index
                    ? "z-10 border-[3px] border-yellow-400 shadow-[0_0_0_9999px_rgba(0,0,0,0.4)]"
                    : "border-white/90 shadow-[0_0_0_1px_rgba(0,0,0,0.5)]"
                }`}
                style={{
                  left: `${(face.box.x / width) * 100}%`,
                  top: `${(face.box.y / height) * 100}%`,
                  width: `${(face.box.width / width) * 100}%`,
                  height: `${(face.box.height / height) * 100}%`,
                }}
              />
            ),
          )}
        </div>
      ) : (
        <div
          className="h-full w-full animate-pulse bg-neutral-200/60 dark:bg-neutral-800/60"
          aria-hidden="true"
        />
      )}
    </div>
  );
}
