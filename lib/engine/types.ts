/** A rectangle in pixels of the upright image (or in normalised units where a comment says so). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type Point = [x: number, y: number];

/**
 * One face as the engine reports it. Landmarks follow MediaPipe's order: right eye, left eye, nose tip, mouth,
 * right ear, left ear (the subject's right and left). Detectors without landmarks report an empty list.
 */
export interface Face {
  box: Box;
  score: number;
  landmarks: Point[];
}

/** A face plus its square PNG crop, ready to store or serve. */
export interface FaceWithCrop extends Face {
  crop: Buffer;
  /** Where the crop was cut from the upright image, in pixels (it may extend past an edge that was padded). */
  cropBox: Box;
}

/** Packed 8-bit RGB pixels. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}
