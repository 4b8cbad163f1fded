"use client";

/**
 * Confidence threshold in steps of 0.05: a native range input, so keyboard and screen readers just work. It starts
 * at `min`, the lowest score the engine keeps: below that there is nothing more to show.
 */
export function ConfidenceSlider({
  value,
  min,
  onChange,
}: {
  value: number;
  min: number;
  onChange: (value: number) => void;
}) {
  return (
    <div className="flex items-center gap-3">
      <label htmlFor="confidence" className="whitespace-nowrap font-medium text-sm">
        Confidence
      </label>
      <input
        id="confidence"
        type="range"
        min={min}
        max={1}
        step={0.05}
        value={value}
        onChange={(event) => onChange(Number(event.target.value))}
        aria-valuetext={`${Math.round(value * 100)} percent`}
        className="w-full accent-indigo-600 sm:w-48"
      />
      <output htmlFor="confidence" className="w-10 text-right text-sm tabular-nums">
        {value.toFixed(2)}
      </output>
    </div>
  );
}
