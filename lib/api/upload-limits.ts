import { acceptedTypes } from "../media/media-types";

/** The types the upload form accepts before any byte is sent; the server enforces the same ones. */
export const ACCEPTED_IMAGE_TYPES = acceptedTypes("image");
export const ACCEPTED_VIDEO_TYPES = acceptedTypes("video");
