"use client";

import { useState } from "react";
import { deleteResult } from "@/lib/client/upload";

/** Shown only in the browser that made the result (it holds the delete token). */
export function DeleteButton({ id, token, onDeleted }: { id: string; token: string; onDeleted: () => void }) {
  const [state, setState] = useState<"idle" | "deleting" | string>("idle");
  const remove = async () => {
    if (!window.confirm("Delete this result for everyone? The photo, its faces and the link stop working."))
      return;
    setState("deleting");
    try {
      await deleteResult(id, token);
      onDeleted();
    } catch (error) {
      setState(error instanceof Error ? error.message : "The result could not be deleted.");
    }
  };
  return (
    <>
      <button
        type="button"
        onClick={remove}
        disabled={state === "deleting"}
        className="rounded-lg px-3 py-1.5 font-medium text-red-700 text-sm ring-1 ring-red-300 hover:bg-red-50 disabled:opacity-60 dark:text-red-300 dark:ring-red-800 dark:hover:bg-red-950/40"
      >
        {state === "deleting" ? "Deleting…" : "Delete"}
      </button>
      {state !== "idle" && state !== "deleting" && (
        <p role="alert" className="basis-full text-red-700 text-sm dark:text-red-300">
          {state}
        </p>
      )}
    </>
  );
}
