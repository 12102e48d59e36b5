"use client";
import { PublishForm } from "../../../components/publish-form.tsx";

/** The full-page view of the publish form the top bar opens as a dialog. */
export default function PublishPage() {
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Publish</h1>
        </div>
      </div>
      <PublishForm variant="page" />
    </>
  );
}
