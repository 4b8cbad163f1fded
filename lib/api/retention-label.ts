/** "7 days", "1 day", "12 hours": how long results are kept, as the upload notice says it. */
export function retentionLabel(days: number): string {
  if (days >= 1) {
    const n = Math.round(days);
    return `${n} day${n === 1 ? "" : "s"}`;
  }
  const hours = Math.max(1, Math.round(days * 24));
  return `${hours} hour${hours === 1 ? "" : "s"}`;
}
