// The upload page: posts the form's imageData to /api/image/process, then
// long-polls /api/image/ID until the job is done or failed, and shows the number.
"use strict";

const API = "/api/image";
const POLL_SECONDS = 25;

const $ = (id) => document.getElementById(id);

function show(id, visible) {
  $(id).hidden = !visible;
}

function setStatus(text, percent) {
  $("status").textContent = text;
  if (percent !== undefined) $("progress").value = percent;
}

function fail(message) {
  $("error").textContent = message;
  show("error", true);
  setStatus("Stopped");
  $("submit").disabled = false;
}

// Reads an API error body {error:{code,message}} into a sentence.
function errorMessage(xhrOrBody, status) {
  try {
    const body = typeof xhrOrBody === "string" ? JSON.parse(xhrOrBody) : xhrOrBody;
    if (body && body.error) return body.error.message + " (" + status + ")";
  } catch (ignored) {
    // Not JSON: nginx or a proxy answered.
  }
  return "the server answered " + status;
}

// Sends the form with XMLHttpRequest, which reports upload progress (fetch does not).
function upload(form) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", API + "/process");
    request.responseType = "text";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) {
        const percent = Math.round((event.loaded / event.total) * 50);
        setStatus("Uploading… " + Math.round((event.loaded / event.total) * 100) + "%", percent);
      }
    };
    request.onload = () => {
      if (request.status === 202 || request.status === 200) {
        resolve(JSON.parse(request.responseText));
      } else {
        reject(new Error(errorMessage(request.responseText, request.status)));
      }
    };
    request.onerror = () => reject(new Error("the upload did not reach the server"));
    request.send(new FormData(form));
  });
}

// Long-polls the job until it has a result.
async function awaitResult(job) {
  let state = job;
  for (let round = 0; round < 200; round += 1) {
    if (state.status === "done" || state.status === "failed") return state;
    setStatus(state.status === "processing" ? "Reading the image…" : "Queued…",
              state.status === "processing" ? 75 : 60);
    const response = await fetch(API + "/" + encodeURIComponent(job.id) +
                                 "?wait=" + POLL_SECONDS, { cache: "no-store" });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(errorMessage(body, response.status));
    state = body;
  }
  throw new Error("no result after a long wait");
}

function showResult(result) {
  $("job-id").textContent = result.id;
  if (result.status === "failed") {
    setStatus("Could not read the image", 100);
    fail(result.error ? result.error.message : "the job failed");
    return;
  }
  setStatus("Done", 100);
  $("number").textContent = result.digits || "(no digits found)";
  $("confidence").textContent = Math.round(result.confidence) + "%";
  $("text").textContent = result.text || "";
  const verdict = $("verdict");
  if (result.verified === true || result.verified === false) {
    verdict.textContent = result.verified
      ? "Verified: " + result.expected + " was found"
      : "Not verified: " + result.expected + " was not found";
    verdict.className = result.verified ? "verified" : "unverified";
    show("verdict", true);
  } else {
    show("verdict", false);
  }
  show("result", true);
  $("submit").disabled = false;
}

function start(event) {
  event.preventDefault();
  const form = event.target;
  const file = $("imageData").files[0];
  if (!file) return;

  show("error", false);
  show("result", false);
  show("job", true);
  $("submit").disabled = true;
  const preview = $("preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  show("preview", true);
  setStatus("Uploading…", 0);

  upload(form)
    .then((job) => {
      $("job-id").textContent = job.id;
      return awaitResult(job);
    })
    .then(showResult)
    .catch((error) => fail("Sorry: " + error.message));
}

document.addEventListener("DOMContentLoaded", () => {
  $("upload").addEventListener("submit", start);
});
